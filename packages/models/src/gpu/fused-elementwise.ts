/**
 * The switch and the shared plumbing of the fused elementwise kernels (kvc issue #12): RMSNorm
 * (rms-norm-wgsl.ts), SwiGLU (swiglu-wgsl.ts) and RoPE (rope-wgsl.ts) for Qwen3, LayerNorm
 * (layer-norm-wgsl.ts) and the GELUs (gelu-wgsl.ts) for the encoders and the projector, one
 * dispatch per direction where tfjs ran a chain of 5–10 small kernels. nn/rms-norm.ts, swiglu.ts,
 * rotary.ts, layer-norm.ts and activations.ts stay the entry points and take the kernels only where
 * `fusedElementwiseTakes` says so; everywhere else (cpu, wasm, other dtypes) they run the tfjs ops,
 * which stay the f32 reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernelOutputs, webgpuBackend, type Dispatch } from './webgpu-internals.js';

/**
 * Whether the fused elementwise kernels run on webgpu. On by default: core WGSL in f32, checked
 * against the tfjs ops within derived bounds (fused-elementwise-tolerance.ts); off gives the tfjs
 * ops' results bit for bit.
 */
let byDefault = true;
export const setFusedElementwiseDefault = (on: boolean): void => void (byDefault = on);
export const fusedElementwiseDefault = (): boolean => byDefault;

/**
 * Whether the kernels can take these tensors now: switched on, the webgpu backend, all float32,
 * none empty (a dispatch of zero workgroups has nothing to do) and each within one storage binding.
 */
export function fusedElementwiseTakes(...xs: tf.Tensor[]): boolean {
  if (!byDefault || tf.getBackend() !== 'webgpu') return false;
  const limit = webgpuBackend().device.limits.maxStorageBufferBindingSize;
  return xs.every((x) => x.dtype === 'float32' && x.size > 0 && x.size * 4 <= limit);
}

/**
 * `workgroups` spread over x and y (one dimension holds at most 65535 by default, and a norm over
 * Qwen3's heads has B·T·heads rows): kernels index them as wid.y · nwg.x + wid.x (FLAT_WORKGROUP).
 */
export function flatDispatch(workgroups: number): Dispatch {
  const x = Math.min(workgroups, webgpuBackend().device.limits.maxComputeWorkgroupsPerDimension);
  return [x, Math.ceil(workgroups / x)];
}

/** WGSL: `flat`, the workgroup's index in a flatDispatch (uniform across the workgroup). */
export const FLAT_WORKGROUP = 'let flat = wid.y * nwg.x + wid.x;';
/** WGSL entry-point parameters the kernels share. */
export const KERNEL_BUILTINS =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, ' +
  '@builtin(local_invocation_index) lid: u32';

/** Invocations per workgroup of the elementwise kernels. */
export const ELEMENTWISE_WORKGROUP = 256;

/**
 * A kernel of one invocation per index i < n: `prelude` (bindings, functions), then `body` for i. `n` is a number
 * or a WGSL u32 expression read at run time (`arrayLength(&y)`): then one pipeline serves every size, and a new
 * row count (a generation's prompt length) compiles nothing.
 */
export function elementwiseWgsl(n: number | string, prelude: string, body: string): string {
  return `${prelude}
@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(${KERNEL_BUILTINS}) {
  ${FLAT_WORKGROUP}
  let i = flat * ${ELEMENTWISE_WORKGROUP}u + lid;
  if (i >= ${typeof n === 'number' ? `${n}u` : n}) { return; }
  ${body}
}`;
}

/** An f32 as an exact WGSL expression (a decimal literal could round differently from Math.fround). */
export function f32Literal(v: number): string {
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}

/** WGSL bindings: read-only inputs, then read-write outputs, numbered in that order. */
export function storageBindings(inputs: readonly string[], outputs: readonly string[]): string {
  const line = (name: string, i: number, access: string) =>
    `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<f32>;`;
  return [
    ...inputs.map((n, i) => line(n, i, 'read')),
    ...outputs.map((n, i) => line(n, inputs.length + i, 'read_write')),
  ].join('\n');
}

/** Runs a small kernel (submitted with tfjs's batch): float32 outputs of the given shapes. */
export function runSmallKernel(code: string, inputs: tf.Tensor[], shapes: number[][], workgroups: number): tf.Tensor[] {
  const outputs = shapes.map((shape) => ({ shape, dtype: 'float32' as const }));
  return runKernelOutputs(code, inputs, outputs, flatDispatch(workgroups));
}
