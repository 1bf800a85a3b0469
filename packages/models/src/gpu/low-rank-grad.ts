/**
 * Lᵀ·R [r, W] for a thin L [M, r] and a wide R [M, W] over many rows M: the weight gradients of a LoRA branch in
 * training (dA = dmᵀ·x, dBᵀ = mᵀ·dy), which tfjs's matMul ran at ~1 TFLOP/s. On the H200, at the seed's batch
 * (M = 21,504), those products took ~0.97 ms each for W = 1024 and ~1 ms for 3072, 0.6 s of Qwen3-0.6B's 2.7 s step
 * with the other LoRA products (bench/results/2026-11-29-split-attention-h200.md, the tf.profile run); at its
 * 4.8 TB/s, reading R once takes ~20 µs. With these kernels the 0.6B step took 2.26 s.
 *
 * Two dispatches. The first: a workgroup of 256 invocations owns 256 columns of R and a chunk of CHUNK rows; it
 * stages 64 rows of L at a time in workgroup memory (every invocation reads the same word: a broadcast), and each
 * invocation keeps its column's r sums in registers, reading each element of R once. Its partial sums go to
 * [chunks, r, W]. The second adds the chunks in order. M is read at run time (L's length), so a batch of another
 * length reuses the pipelines.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ELEMENTWISE_WORKGROUP,
  elementwiseWgsl,
  fusedElementwiseTakes,
  runSmallKernel,
  storageBindings,
} from './fused-elementwise.js';
import { runKernelOutputs, webgpuBackend } from './webgpu-internals.js';

/** Rows of L and R a workgroup sums (the partials' chunk). */
const CHUNK = 256;
/** Rows of L staged in workgroup memory at a time. */
const STAGE = 64;
/** Columns of R a workgroup owns: one an invocation. */
const COLS = 256;
/** Ranks up to which the sums fit registers (32 floats an invocation) and L's rows workgroup memory (8 KiB). */
export const LOW_RANK_GRAD_MAX_RANK = 32;

const partialsWgsl = (width: number, rank: number): string => `const W = ${width}u;
const R = ${rank}u;
${storageBindings(['l', 'r'], ['part'])}
var<workgroup> ls: array<f32, ${STAGE * rank}>;
@compute @workgroup_size(${COLS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&l) / R;
  let col = wid.x * ${COLS}u + lid;
  let m0 = wid.y * ${CHUNK}u;
  let m1 = min(m0 + ${CHUNK}u, M);
  var acc = array<f32, ${rank}>();
  for (var b0 = m0; b0 < m1; b0 += ${STAGE}u) {
    for (var e = lid; e < ${STAGE}u * R; e += ${COLS}u) {
      let row = b0 + e / R;
      ls[e] = select(0.0, l[min(row, M - 1u) * R + e % R], row < M);
    }
    workgroupBarrier();
    if (col < W) {
      let n = min(${STAGE}u, m1 - b0);
      for (var i = 0u; i < n; i++) {
        let x = r[(b0 + i) * W + col];
        for (var j = 0u; j < R; j++) { acc[j] = fma(ls[i * R + j], x, acc[j]); }
      }
    }
    workgroupBarrier();
  }
  if (col < W) {
    for (var j = 0u; j < R; j++) { part[(wid.y * R + j) * W + col] = acc[j]; }
  }
}`;

/** The second dispatch: each of the `size` outputs the sum of its chunks' partials, in chunk order. */
const chunkSumWgsl = (size: number): string =>
  elementwiseWgsl(
    size,
    storageBindings(['part'], ['out']),
    `let chunks = arrayLength(&part) / ${size}u;
  var s = 0.0;
  for (var c = 0u; c < chunks; c++) { s += part[c * ${size}u + i]; }
  out[i] = s;`,
  );

/** Whether the kernels take Lᵀ·R: the fused kernels on (webgpu, float32), rank ≤ 32, the partials within a binding. */
export function lowRankGradTakes(l: tf.Tensor2D, r: tf.Tensor2D): boolean {
  const [m, rank] = l.shape;
  if (r.shape[0] !== m || rank > LOW_RANK_GRAD_MAX_RANK || !fusedElementwiseTakes(l, r)) return false;
  const limits = webgpuBackend().device.limits;
  const chunks = Math.ceil(m / CHUNK);
  return (
    chunks <= limits.maxComputeWorkgroupsPerDimension &&
    Math.ceil(r.shape[1] / COLS) <= limits.maxComputeWorkgroupsPerDimension &&
    chunks * rank * r.shape[1] * 4 <= limits.maxStorageBufferBindingSize
  );
}

/** lᵀ·r [rank, W] for l [M, rank], r [M, W] (caller owns). Call where lowRankGradTakes says so. */
export function lowRankGrad(l: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
  const [m, rank] = l.shape;
  const w = r.shape[1];
  const chunks = Math.ceil(m / CHUNK);
  const [part] = runKernelOutputs(
    partialsWgsl(w, rank),
    [l, r],
    [{ shape: [chunks, rank, w], dtype: 'float32' }],
    [Math.ceil(w / COLS), chunks],
  );
  const size = rank * w;
  const [out] = runSmallKernel(chunkSumWgsl(size), [part!], [[rank, w]], Math.ceil(size / ELEMENTWISE_WORKGROUP));
  // Disposed once recorded: the queued commands keep its buffer until they finish.
  part!.dispose();
  return out as tf.Tensor2D;
}
