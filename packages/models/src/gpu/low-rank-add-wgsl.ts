/**
 * y + s·(t·Bᵀ) for many rows: the second half of an unmerged LoRA branch at inference where the rows are too many
 * for lora-add-wgsl.ts (a prefill chunk), t = x·Aᵀ [M, r] being tfjs's product. One dispatch where tfjs ran a
 * matMul, a multiply and an add, each writing an [M, out] tensor the next one read again: at batch 8 on the H200
 * the LoRA branches took 62 ms of matMuls and ~26 ms of scale and add of a 539 ms prefill chunk
 * (bench/results/2026-11-28-gen-h200-session12.md). A workgroup stages 16 rows of t and 64 rows of B in workgroup
 * memory (B's transposed) and each invocation writes 4 outputs: Σ_j t[m,j]·B[n,j] in order, times s, plus y (tfjs's order of the
 * multiply and the add). M is read at run time (out is exactly [M, N]): one pipeline per layer shape.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { f32Literal, fusedElementwiseTakes, storageBindings } from './fused-elementwise.js';
import { runKernelOutputs, webgpuBackend } from './webgpu-internals.js';

const ROWS = 16;
const COLS = 64;
const WG = 256;
/** Ranks up to which t's and B's blocks fit workgroup memory ((16 + 64) × 32 floats, 10 KiB). */
export const LOW_RANK_ADD_MAX_RANK = 32;

export const lowRankAddWgsl = (outDim: number, rank: number, scaling: number): string => `const N = ${outDim}u;
const R = ${rank}u;
${storageBindings(['t', 'b', 'y'], ['out'])}
var<workgroup> ts: array<f32, ${ROWS * rank}>;
var<workgroup> bs: array<f32, ${COLS * rank}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&out) / N;
  let r0 = wid.y * ${ROWS}u; let c0 = wid.x * ${COLS}u;
  for (var e = lid; e < ${ROWS}u * R; e += ${WG}u) {
    let row = r0 + e / R;
    ts[e] = select(0.0, t[row * R + e % R], row < M);
  }
  // B's block transposed ([r][64]): neighbouring invocations then read neighbouring words (no bank conflicts; the
  // row-major block put them r words apart: 286 µs a dispatch at 16,384 rows on the H200).
  for (var e = lid; e < ${COLS}u * R; e += ${WG}u) {
    let col = c0 + e / R;
    bs[(e % R) * ${COLS}u + e / R] = select(0.0, b[col * R + e % R], col < N);
  }
  workgroupBarrier();
  for (var k = 0u; k < ${(ROWS * COLS) / WG}u; k++) {
    let o = lid + k * ${WG}u;
    let i = o / ${COLS}u; let j = o % ${COLS}u;
    let row = r0 + i; let col = c0 + j;
    if (row < M && col < N) {
      var acc = 0.0;
      for (var q = 0u; q < R; q++) { acc = fma(ts[i * R + q], bs[q * ${COLS}u + j], acc); }
      out[row * N + col] = y[row * N + col] + acc * ${f32Literal(scaling)};
    }
  }
}`;

/** Whether the kernel takes y + s·(t·Bᵀ): the fused kernels on (webgpu, float32), rank ≤ 32, rows within one dispatch. */
export function lowRankAddTakes(b: tf.Tensor2D, y: tf.Tensor2D): boolean {
  if (b.shape[1] > LOW_RANK_ADD_MAX_RANK || !fusedElementwiseTakes(b, y)) return false;
  return Math.ceil(y.shape[0] / ROWS) <= webgpuBackend().device.limits.maxComputeWorkgroupsPerDimension;
}

/** y [M, out] + scaling·(t [M, r]·Bᵀ [r, out]), one dispatch. */
export function lowRankAdd(y: tf.Tensor2D, t: tf.Tensor2D, b: tf.Tensor2D, scaling: number): tf.Tensor2D {
  const [m, n] = y.shape;
  const out = { shape: [m, n], dtype: 'float32' as const };
  const dispatch: [number, number] = [Math.ceil(n / COLS), Math.ceil(m / ROWS)];
  return runKernelOutputs(lowRankAddWgsl(n, t.shape[1], scaling), [t, b, y], [out], dispatch)[0] as tf.Tensor2D;
}
