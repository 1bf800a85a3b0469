/**
 * y + s·((x·Aᵀ)·Bᵀ) for a few rows in one dispatch: the unmerged LoRA branch of a decode step, which
 * tfjs records as two matMuls, a multiply and an add (plus reshapes) per adapted module, ~0.6 ms of host
 * time each on lavapipe (bench/gpu/op-host-cost.ts) and 28 of a decode step's ~100 kernels a layer
 * (bench/gpu/decode-dispatches.ts). For inference only (nn/linear.ts takes it when no gradient is
 * recorded): the training path takes nn/lora-branch.ts's differentiable branch.
 *
 * A workgroup of 64 owns one row and 64 output columns. It first computes the row's r low-rank values
 * t = x·Aᵀ (each invocation sums a strided slice of the inputs for all r, then the slices are added),
 * then each invocation one column: y + (t·B[c]ᵀ)·s, the multiply and the add in tfjs's order. Every
 * workgroup of a row recomputes t (r·in multiply-adds): at a few rows that is cheaper than a second
 * dispatch. The sums' order differs from tfjs's matMul (lora-add.test.ts bounds the difference).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { f32Literal, fusedElementwiseTakes, storageBindings } from './fused-elementwise.js';
import { runKernelOutputs } from './webgpu-internals.js';

/** Rows up to which the kernel takes the branch (decode steps: one row per sequence). */
export const LORA_ADD_MAX_ROWS = 64;
const WG = 64;

export interface LoraAddShape {
  readonly rows: number;
  readonly inDim: number;
  readonly outDim: number;
  readonly rank: number;
}

export const loraAddWgsl = (
  s: LoraAddShape,
  scaling: number,
): string => `${storageBindings(['x', 'a', 'b', 'y'], ['out'])}
var<workgroup> partial: array<array<f32, ${s.rank}>, ${WG}>;
var<workgroup> t: array<f32, ${s.rank}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y;
  var acc: array<f32, ${s.rank}>;
  for (var k = lid; k < ${s.inDim}u; k += ${WG}u) {
    let xv = x[row * ${s.inDim}u + k];
    for (var j = 0u; j < ${s.rank}u; j++) { acc[j] = acc[j] + xv * a[j * ${s.inDim}u + k]; }
  }
  for (var j = 0u; j < ${s.rank}u; j++) { partial[lid][j] = acc[j]; }
  workgroupBarrier();
  if (lid < ${s.rank}u) {
    var sum = 0.0;
    for (var i = 0u; i < ${WG}u; i++) { sum = sum + partial[i][lid]; }
    t[lid] = sum;
  }
  workgroupBarrier();
  let c = wid.x * ${WG}u + lid;
  if (c >= ${s.outDim}u) { return; }
  var low = 0.0;
  for (var j = 0u; j < ${s.rank}u; j++) { low = low + t[j] * b[c * ${s.rank}u + j]; }
  out[row * ${s.outDim}u + c] = y[row * ${s.outDim}u + c] + low * ${f32Literal(scaling)};
}`;

/** Ranks up to which the per-invocation partial sums fit workgroup memory (64 × rank floats of 16 KiB). */
export const LORA_ADD_MAX_RANK = 32;

/**
 * Whether the kernel takes these: webgpu with the fused kernels on, float32, at most LORA_ADD_MAX_ROWS
 * rows and LORA_ADD_MAX_RANK ranks.
 */
export const loraAddTakes = (x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, y: tf.Tensor2D): boolean =>
  x.shape[0] <= LORA_ADD_MAX_ROWS && a.shape[0] <= LORA_ADD_MAX_RANK && fusedElementwiseTakes(x, a, b, y);

/** y [M, out] + scaling·((x [M, in]·Aᵀ [in, r])·Bᵀ [r, out]), one dispatch. */
export function loraAdd(x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, y: tf.Tensor2D, scaling: number): tf.Tensor2D {
  const s = { rows: x.shape[0], inDim: x.shape[1], outDim: y.shape[1], rank: a.shape[0] };
  const out = { shape: [s.rows, s.outDim], dtype: 'float32' as const };
  const dispatch: [number, number] = [Math.ceil(s.outDim / WG), s.rows];
  return runKernelOutputs(loraAddWgsl(s, scaling), [x, a, b, y], [out], dispatch)[0] as tf.Tensor2D;
}
