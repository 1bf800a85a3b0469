/**
 * x·Wᵀ [M, r] for many rows x [M, K] and a thin W [r, K]: the LoRA branch's x·Aᵀ in training and prefill, and its
 * backward's dy·B (W = Bᵀ). tfjs's matMul ran these at ~0.7 TB/s of x on the H200 (Qwen3-8B's x·Aᵀ at the seed's
 * batch: 0.52 ms for 352 MB of x; down_proj's 1.56 ms), ~0.5 s of the 8B step over its layers
 * (bench/results/2026-11-29-split-attention-h200.md, the tf.profile run).
 *
 * A workgroup of 256 owns 8 rows, 32 invocations (one subgroup on NVIDIA) a row. Each invocation walks its row in
 * vec4 steps 32 apart, so a row's 32 reads are 512 contiguous bytes, and keeps its r partial sums in registers;
 * W's rows are read through L1 (every row of the workgroup reads the same words). The r sums are written out
 * (unrolled: registers, not an indexed array). The 32 partial sums of each output are then added in workgroup
 * memory, 8 outputs at a time. M is read at run time.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { fusedElementwiseTakes, runSmallKernel } from './fused-elementwise.js';
import { webgpuBackend } from './webgpu-internals.js';

const ROWS = 8;
const LANES = 32;
/** Outputs a row reduced at once (workgroup memory: ROWS × LANES × GROUP floats, 8 KiB). */
const GROUP = 8;
/** Ranks up to which the partial sums fit registers. */
export const LOW_RANK_PROJECT_MAX_RANK = 32;

const projectWgsl = (k: number, rank: number): string => {
  const groups = Math.ceil(rank / GROUP);
  return `const K4 = ${k / 4}u;
const R = ${rank}u;
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> red: array<f32, ${ROWS * LANES * GROUP}>;
@compute @workgroup_size(${ROWS * LANES})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&out) / R;
  let r = lid / ${LANES}u; let lane = lid % ${LANES}u;
  let row = (wid.y * nwg.x + wid.x) * ${ROWS}u + r;
  var acc = array<f32, ${rank}>();
  if (row < M) {
    for (var k4 = lane; k4 < K4; k4 += ${LANES}u) {
      let xv = x[row * K4 + k4];
      ${Array.from({ length: rank }, (_, j) => `acc[${j}] += dot(xv, w[${j}u * K4 + k4]);`).join(' ')}
    }
  }
  ${Array.from(
    { length: groups },
    (_, g) => `${Array.from(
      { length: GROUP },
      (_, j) => `red[(r * ${GROUP}u + ${j}u) * ${LANES}u + lane] = acc[${Math.min(g * GROUP + j, rank - 1)}];`,
    ).join(' ')}
  workgroupBarrier();
  if (lane < ${GROUP}u && ${g * GROUP}u + lane < R && row < M) {
    var s = 0.0;
    for (var l = 0u; l < ${LANES}u; l++) { s += red[(r * ${GROUP}u + lane) * ${LANES}u + l]; }
    out[row * R + ${g * GROUP}u + lane] = s;
  }
  workgroupBarrier();`,
  ).join('\n  ')}
}`;
};

/** Whether the kernel takes x·Wᵀ: the fused kernels on (webgpu, float32), K a multiple of 4, rank ≤ 32. */
export function lowRankProjectTakes(x: tf.Tensor2D, w: tf.Tensor2D): boolean {
  const [m, k] = x.shape;
  const [rank, kw] = w.shape;
  if (kw !== k || k % 4 !== 0 || rank > LOW_RANK_PROJECT_MAX_RANK || !fusedElementwiseTakes(x, w)) return false;
  const perDim = webgpuBackend().device.limits.maxComputeWorkgroupsPerDimension;
  return Math.ceil(m / ROWS) <= perDim * perDim;
}

/** x [M, K] · wᵀ (w [r, K]) → [M, r] (caller owns). Call where lowRankProjectTakes says so. */
export function lowRankProject(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = x.shape;
  const rank = w.shape[0];
  return runSmallKernel(projectWgsl(k, rank), [x, w], [[m, rank]], Math.ceil(m / ROWS))[0] as tf.Tensor2D;
}
