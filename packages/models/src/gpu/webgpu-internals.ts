/// <reference types="@webgpu/types" />
/**
 * The few internals of tfjs-backend-webgpu 4.22 our kernels need, typed in one place: the device,
 * the GPUBuffer behind a tensor, and tfjs's own command encoder. Recording our passes into that
 * encoder keeps them ordered with tfjs's kernels, and marking the tensors as queue-owned makes
 * tfjs defer releasing their buffers until the commands are submitted (as it does for its own).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ownPassTimestamps } from './own-kernel-profile.js';
import { BackendError } from '../errors.js';
import type { BufferManagerLike } from './buffer-pool.js';

type DataId = object;
interface TensorData {
  resource: unknown;
  /** The host copy: before the upload, or cached by a read (then stale once the buffer is written in place). */
  values: unknown;
}
export interface WebgpuBackendInternals {
  readonly device: GPUDevice;
  readonly queue: GPUQueue;
  readonly bufferManager: BufferManagerLike;
  readonly tensorMap: { get(id: DataId): TensorData };
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds: WeakSet<DataId>;
  dispatchCountInPass: number;
  uploadToGPU(id: DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The active tfjs-webgpu backend, or a BackendError when another backend is active. */
export function webgpuBackend(): WebgpuBackendInternals {
  if (tf.getBackend() !== 'webgpu') {
    throw new BackendError(
      'E_GPU_NOT_WEBGPU',
      `GPU kernels need the webgpu backend, not ${tf.getBackend()}`,
      { backend: tf.getBackend() },
      'initBackend("webgpu") first, or use tf.matMul on this backend',
    );
  }
  return tf.backend() as unknown as WebgpuBackendInternals;
}

/** The GPUBuffer holding a tensor (uploaded first if it still lives on the CPU). */
export function gpuBufferOf(b: WebgpuBackendInternals, t: tf.TensorInfo): GPUBuffer {
  b.uploadToGPU(t.dataId);
  return b.tensorMap.get(t.dataId).resource as GPUBuffer;
}

/** Submits the commands tfjs has recorded and not yet submitted (its deferred releases happen then). */
export function submitPending(b: WebgpuBackendInternals): void {
  if (!b.commandEncoder) return;
  b.endComputePassEncoder();
  b.submitQueue();
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
const labels = new WeakMap<GPUComputePipeline, string>();

/** A compute pipeline for WGSL code, compiled once per device. */
export function pipelineFor(device: GPUDevice, code: string): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let p = cache.get(code);
  if (!p) {
    const module = device.createShaderModule({ code });
    p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    cache.set(code, p);
    // A name for profiles: the kernel's storage bindings, in order (`Q,K,V,Bias→PO,PS`).
    const names = [...code.matchAll(/var<storage,\s*(read|read_write)>\s*(\w+)/g)];
    const side = (a: string) =>
      names
        .filter((m) => m[1] === a)
        .map((m) => m[2])
        .join(',');
    labels.set(p, `${side('read')}→${side('read_write')}`);
  }
  return p;
}

/** The name pipelineFor gave a pipeline of ours, if it made it. */
export const pipelineLabel = (p: GPUComputePipeline): string | undefined => labels.get(p);

/** Workgroups along x, y and (batched kernels) z. */
export type Dispatch = [number, number] | [number, number, number];

/**
 * Records one dispatch of `code` reading `inputs` and writing a new tensor of `shape`/`dtype`
 * (bindings 0..n-1 are the inputs, n the output), in tfjs's command stream. Returns the output.
 */
export function runKernel(
  code: string,
  inputs: tf.TensorInfo[],
  shape: number[],
  dtype: tf.DataType,
  dispatch: Dispatch,
): tf.Tensor {
  return runKernelOutputs(code, inputs, [{ shape, dtype }], dispatch)[0]!;
}

/** How a dispatch is submitted. */
export interface KernelSubmit {
  /**
   * Submit at once. By default a dispatch goes with tfjs's next batch (every
   * WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, or at the next read or host write that needs it): one queue
   * submit costs Dawn ~0.1 ms of host time, and a prefill that submitted each product took ~4,500 of them
   * (0.56 of its 2.1 s of host time at batch 8 on the H200, bench/results/2026-11-28-gen-h200-session12.md).
   */
  readonly now?: boolean;
}

let ownDispatches = 0;
/** How many dispatches runKernel/runKernelOutputs recorded in this process (tf.profile does not see them). */
export const ownDispatchCount = (): number => ownDispatches;

/** runKernel with several outputs: bindings 0..n-1 are the inputs, then one per output, in order. */
export function runKernelOutputs(
  code: string,
  inputs: tf.TensorInfo[],
  outputs: { shape: number[]; dtype: tf.DataType }[],
  dispatch: Dispatch,
  submit: KernelSubmit = {},
): tf.Tensor[] {
  const b = webgpuBackend();
  const outs = outputs.map((o) => b.makeTensorInfo(o.shape, o.dtype));
  const buffers = [...inputs, ...outs].map((t) => gpuBufferOf(b, t));
  const pipeline = pipelineFor(b.device, code);
  const bindGroup = b.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  const timestampWrites = ownPassTimestamps(b.device, `${labels.get(pipeline)} ${dispatch.join('×')}`);
  const pass = b.commandEncoder!.beginComputePass(timestampWrites ? { timestampWrites } : {});
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(dispatch[0], dispatch[1], dispatch[2] ?? 1);
  pass.end();
  for (const t of [...inputs, ...outs]) b.commandQueueOwnedIds.add(t.dataId);
  ownDispatches++;
  if (submit.now || ++b.dispatchCountInPass >= Number(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'))) {
    b.submitQueue();
  }
  return outs.map((o) => tf.engine().makeTensorFromTensorInfo(o));
}
