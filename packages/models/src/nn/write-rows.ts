/// <reference types="@webgpu/types" />
/**
 * Writes rows into a preallocated tensor in place: `src` [B, H, t, D] goes to rows
 * [start, start + t) of `dst` [B, H, capacity, D] (a KV cache, its mask). tfjs tensors are
 * immutable, so each backend needs its own way in: on webgpu a small WGSL kernel recorded in
 * tfjs's command stream writes into `dst`'s GPUBuffer; on cpu and wasm the values are a typed
 * array (in the JS heap, in the wasm heap) that we write directly. Other backends get a new
 * tensor built with tf ops (the caller keeps whatever is returned).
 *
 * Only for tensors the caller alone holds (created with tf.zeros/tf.ones, never cloned): a
 * tensor sharing `dst`'s data would change with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gpuBufferOf, pipelineFor, webgpuBackend } from '../gpu/webgpu-internals.js';

const WORKGROUP = 256;
const MAX_GROUPS = 65535;

// p = [start, t, capacity, D, total]; one invocation per element of src.
const WRITE_ROWS_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> p: array<i32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = i32(g.x + g.y * ${MAX_GROUPS * WORKGROUP}u);
  if (i >= p[4]) { return; }
  let d = p[3];
  let t = p[1];
  let col = i % d;
  let row = (i / d) % t;
  let bh = i / (d * t);
  dst[(bh * p[2] + p[0] + row) * d + col] = src[i];
}`;

/**
 * The kernel's parameters [start, t, capacity, D, total] as an int32 tensor the caller keeps (KvCache reuses one for
 * every layer's keys and values of a step: a new tensor per write is an upload per write).
 */
export type RowParams = (values: readonly number[]) => tf.Tensor1D;

/** Rows [start, start + t) of `dst` ← `src`. Returns the tensor that holds the result (`dst` when in place). */
export function writeRows<T extends tf.Tensor4D>(dst: T, src: tf.Tensor4D, start: number, params?: RowParams): T {
  const [b, h, cap, d] = dst.shape;
  const t = src.shape[2];
  if (src.shape[0] !== b || src.shape[1] !== h || src.shape[3] !== d || start < 0 || start + t > cap)
    throw new RangeError(`writeRows: [${src.shape}] at row ${start} does not fit [${dst.shape}]`);
  if (dst.dtype !== 'float32' || src.dtype !== 'float32') throw new TypeError('writeRows: float32 tensors only');
  const backend = tf.getBackend();
  if (backend === 'webgpu') writeWebgpu(dst, src, start, params);
  else if (backend === 'cpu' || backend === 'wasm') writeHeap(dst, src, start, heapOf(dst, backend));
  else return writeWithOps(dst, src, start);
  return dst;
}

/** The typed array behind a cpu or wasm tensor (its live storage, not a copy). */
function heapOf(x: tf.Tensor, backend: string): Float32Array {
  const be = tf.backend() as unknown as {
    data?: { get(id: object): { values: Float32Array } };
    typedArrayFromHeap?: (info: tf.TensorInfo) => Float32Array;
  };
  const arr = backend === 'wasm' ? be.typedArrayFromHeap!(x) : be.data!.get(x.dataId).values;
  if (!(arr instanceof Float32Array) || arr.length !== x.size)
    throw new Error(`writeRows: no ${backend} storage of ${x.size} floats behind the tensor`);
  return arr;
}

function writeHeap(dst: tf.Tensor4D, src: tf.Tensor4D, start: number, out: Float32Array): void {
  const [b, h, cap, d] = dst.shape;
  const t = src.shape[2];
  const values = src.dataSync() as Float32Array;
  for (let bh = 0; bh < b * h; bh++) {
    out.set(values.subarray(bh * t * d, (bh + 1) * t * d), (bh * cap + start) * d);
  }
}

function writeWebgpu(dst: tf.Tensor4D, src: tf.Tensor4D, start: number, provided?: RowParams): void {
  const be = webgpuBackend();
  const [, , cap, d] = dst.shape;
  const total = src.size;
  if (total === 0) return;
  const values = [start, src.shape[2], cap, d, total];
  const params = provided ? provided(values) : tf.tensor1d(values, 'int32');
  const groups = Math.ceil(total / WORKGROUP);
  const pipeline = pipelineFor(be.device, WRITE_ROWS_WGSL);
  const inputs: tf.TensorInfo[] = [src, params, dst];
  const bindGroup = be.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: inputs.map((x, binding) => ({ binding, resource: { buffer: gpuBufferOf(be, x) } })),
  });
  be.ensureCommandEncoderReady();
  be.endComputePassEncoder();
  const pass = be.commandEncoder!.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS));
  pass.end();
  // Released buffers wait for the submit that runs this pass (tfjs's rule for its own kernels);
  // tfjs submits with its next batch of dispatches or read, so no submit of our own per write.
  for (const x of inputs) be.commandQueueOwnedIds.add(x.dataId);
  if (!provided) params.dispose();
}

/** Backends with no writable storage: a new tensor, rows replaced by slices and a concat. */
function writeWithOps<T extends tf.Tensor4D>(dst: T, src: tf.Tensor4D, start: number): T {
  const cap = dst.shape[2];
  const t = src.shape[2];
  const out = tf.tidy(() => {
    const parts: tf.Tensor4D[] = [];
    if (start > 0) parts.push(tf.slice(dst, [0, 0, 0, 0], [-1, -1, start, -1]));
    parts.push(src);
    if (start + t < cap) parts.push(tf.slice(dst, [0, 0, start + t, 0], [-1, -1, cap - start - t, -1]));
    return tf.concat(parts, 2) as T;
  });
  dst.dispose();
  return out;
}
