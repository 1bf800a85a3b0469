/**
 * RMSNorm (nn/rms-norm.ts) as one dispatch each way: one workgroup per row of D, a workgroup tree
 * reduction for the row's sum, then the row's outputs. Per element the same operations in the same
 * order as the tfjs ops (HF's order: y = w·(x·r), r = 1/√(mean(x²) + eps)); only the sums run in
 * another order, which fused-elementwise-tolerance.ts bounds.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  FLAT_WORKGROUP,
  KERNEL_BUILTINS,
  f32Literal,
  fusedElementwiseTakes,
  runSmallKernel,
  storageBindings,
} from './fused-elementwise.js';

/** Invocations per row: ≈ D/4 each summing 4 or more entries, a power of two (the tree) in 32..256. */
export const rmsNormWorkgroupSize = (d: number): number =>
  Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(Math.ceil(d / 4)))));

/**
 * The row's sum of `term(i)` over i < D into `total` (every invocation reads it). `flat` is
 * workgroup-uniform, so the early return keeps the barriers in uniform control flow. The row count is r's
 * length at run time (one entry per row in both directions): one pipeline for every row count.
 */
function rowSum(d: number, wg: number, term: string): string {
  return `
const D = ${d}u;
const WG = ${wg}u;
var<workgroup> part: array<f32, WG>;
@compute @workgroup_size(WG)
fn main(${KERNEL_BUILTINS}) {
  ${FLAT_WORKGROUP}
  if (flat >= arrayLength(&r)) { return; }
  let base = flat * D;
  var acc = 0.0;
  for (var i = lid; i < D; i += WG) { acc += ${term}; }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  let total = part[0];`;
}

/** Forward: y = w·(x·r) and r = 1/√(mean(x²) + eps) per row. */
export function rmsNormForwardWgsl(d: number, eps: number): string {
  return `${storageBindings(['x', 'w'], ['y', 'r'])}
${rowSum(d, rmsNormWorkgroupSize(d), 'x[base + i] * x[base + i]')}
  let rr = inverseSqrt(total / f32(D) + ${f32Literal(eps)});
  for (var i = lid; i < D; i += WG) { y[base + i] = w[i] * (x[base + i] * rr); }
  if (lid == 0u) { r[flat] = rr; }
}`;
}

/**
 * The residual add and the next RMSNorm in one pass (inference: nn/rms-norm.ts's addRmsNorm): s = x + h,
 * y = w·(s·r). Each invocation writes the sums it squares and reads them back itself, so s and y are exactly
 * tf.add's sum and the forward above on it: the same operations in the same order.
 */
export function addRmsNormForwardWgsl(d: number, eps: number): string {
  return `${storageBindings(['x', 'h', 'w'], ['s', 'y', 'r'])}
fn sumSquared(i: u32) -> f32 { let v = x[i] + h[i]; s[i] = v; return v * v; }
${rowSum(d, rmsNormWorkgroupSize(d), 'sumSquared(base + i)')}
  let rr = inverseSqrt(total / f32(D) + ${f32Literal(eps)});
  for (var i = lid; i < D; i += WG) { y[base + i] = w[i] * (s[base + i] * rr); }
  if (lid == 0u) { r[flat] = rr; }
}`;
}

/** Backward: dx = r·(g − x̂·mean(g·x̂)), g = dy·w, x̂ = x·r (nn/rms-norm.ts's gradFunc, per element). */
export function rmsNormBackwardWgsl(d: number): string {
  return `${storageBindings(['x', 'r', 'w', 'dy'], ['dx'])}
// (g, x̂) of entry i; the sum is over g·x̂.
fn gxh(i: u32, base: u32, rr: f32) -> vec2f { return vec2f(dy[base + i] * w[i], x[base + i] * rr); }
fn product(v: vec2f) -> f32 { return v.x * v.y; }
${rowSum(d, rmsNormWorkgroupSize(d), 'product(gxh(i, base, r[flat]))')}
  let rr = r[flat];
  let m = total / f32(D);
  for (var i = lid; i < D; i += WG) {
    let v = gxh(i, base, rr);
    dx[base + i] = rr * (v.x - v.y * m);
  }
}`;
}

/** Whether the kernels take x and a weight (float32, [D], D = x's last axis) on this backend now. */
export function rmsNormFusedTakes(x: tf.Tensor, weight: tf.Tensor): boolean {
  const d = x.shape[x.rank - 1];
  return x.rank >= 1 && weight.rank === 1 && weight.shape[0] === d && fusedElementwiseTakes(x, weight);
}

const rowsOf = (x: tf.Tensor) => x.size / x.shape[x.rank - 1]!;
const rShape = (x: tf.Tensor) => [...x.shape.slice(0, -1), 1];

/** y (x's shape) and r (x's shape with last axis 1), one dispatch. */
export function rmsNormForwardFused(x: tf.Tensor, weight: tf.Tensor, eps: number): { y: tf.Tensor; r: tf.Tensor } {
  const d = x.shape[x.rank - 1]!;
  const code = rmsNormForwardWgsl(d, eps);
  const [y, r] = runSmallKernel(code, [x, weight], [x.shape, rShape(x)], rowsOf(x));
  return { y: y!, r: r! };
}

/** s = x + h and y = rmsNorm(s) (the row statistics are dropped), one dispatch; x and h of one shape. */
export function addRmsNormFused(
  x: tf.Tensor,
  h: tf.Tensor,
  weight: tf.Tensor,
  eps: number,
): { sum: tf.Tensor; y: tf.Tensor } {
  const code = addRmsNormForwardWgsl(x.shape[x.rank - 1]!, eps);
  const [sum, y, r] = runSmallKernel(code, [x, h, weight], [x.shape, x.shape, rShape(x)], rowsOf(x));
  r!.dispose();
  return { sum: sum!, y: y! };
}

/** dx from the saved x, r and weight and the output's gradient dy, one dispatch. */
export function rmsNormBackwardFused(x: tf.Tensor, r: tf.Tensor, weight: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const code = rmsNormBackwardWgsl(x.shape[x.rank - 1]!);
  return runSmallKernel(code, [x, r, weight, dy], [x.shape], rowsOf(x))[0]!;
}
