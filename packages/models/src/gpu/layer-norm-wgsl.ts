/**
 * LayerNorm (nn/layer-norm.ts) as one dispatch each way: one workgroup per row of D, workgroup tree
 * reductions for the row's sums, then the row's outputs. Per element the same operations in the
 * same order as the tfjs ops (HF's order: μ = mean(x), v = mean((x − μ)²), y = ((x − μ)·r)·w + b,
 * r = 1/√(v + eps)); only the sums run in another order, which fused-encoder-tolerance.ts bounds.
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
import { rmsNormWorkgroupSize } from './rms-norm-wgsl.js';

/**
 * The kernel's head: `rowSum(v)` adds v over the workgroup (every invocation reads the total; the
 * trailing barrier lets the next sum reuse `part`), then main up to the row's `base`: one
 * workgroup per row of D (per column for the weight's gradients: `groups` = D, `wg` by the rows).
 * `flat` is workgroup-uniform, so the early return keeps the barriers in uniform control flow.
 */
function rowKernel(d: number, groups: number, type: 'f32' | 'vec2f', wg = rmsNormWorkgroupSize(d)): string {
  return `
const D = ${d}u;
const WG = ${wg}u;
var<workgroup> part: array<${type}, WG>;
fn rowSum(lid: u32, v: ${type}) -> ${type} {
  part[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  let total = part[0];
  workgroupBarrier();
  return total;
}
@compute @workgroup_size(WG)
fn main(${KERNEL_BUILTINS}) {
  ${FLAT_WORKGROUP}
  if (flat >= ${groups}u) { return; }
  let base = flat * D;`;
}

/** Forward: y, and the row's μ and r for the backward. */
export function layerNormForwardWgsl(rows: number, d: number, eps: number): string {
  return `${storageBindings(['x', 'w', 'b'], ['y', 'mean', 'r'])}
${rowKernel(d, rows, 'f32')}
  var acc = 0.0;
  for (var i = lid; i < D; i += WG) { acc += x[base + i]; }
  let mu = rowSum(lid, acc) / f32(D);
  acc = 0.0;
  for (var i = lid; i < D; i += WG) { let c = x[base + i] - mu; acc += c * c; }
  let rr = inverseSqrt(rowSum(lid, acc) / f32(D) + ${f32Literal(eps)});
  for (var i = lid; i < D; i += WG) { y[base + i] = ((x[base + i] - mu) * rr) * w[i] + b[i]; }
  if (lid == 0u) { mean[flat] = mu; r[flat] = rr; }
}`;
}

/** Backward: dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·w, x̂ = (x − μ)·r (both sums in one pass). */
export function layerNormBackwardWgsl(rows: number, d: number): string {
  return `${storageBindings(['x', 'mean', 'r', 'w', 'dy'], ['dx'])}
${rowKernel(d, rows, 'vec2f')}
  let mu = mean[flat];
  let rr = r[flat];
  var acc = vec2f(0.0);
  for (var i = lid; i < D; i += WG) {
    let g = dy[base + i] * w[i];
    acc += vec2f(g, g * ((x[base + i] - mu) * rr));
  }
  let m = rowSum(lid, acc) / f32(D);
  for (var i = lid; i < D; i += WG) {
    let g = dy[base + i] * w[i];
    let xh = (x[base + i] - mu) * rr;
    dx[base + i] = rr * ((g - m.x) - xh * m.y);
  }
}`;
}

/** The weight's and bias' gradients: dw = Σ_rows dy·x̂, db = Σ_rows dy (one workgroup per column). */
export function layerNormParamGradsWgsl(rows: number, d: number): string {
  return `${storageBindings(['x', 'mean', 'r', 'dy'], ['dw', 'db'])}
${rowKernel(d, d, 'vec2f', rmsNormWorkgroupSize(rows))}
  var acc = vec2f(0.0);
  for (var k = lid; k < ${rows}u; k += WG) {
    let i = k * D + flat;
    let g = dy[i];
    acc += vec2f(g * ((x[i] - mean[k]) * r[k]), g);
  }
  let total = rowSum(lid, acc);
  if (lid == 0u) { dw[flat] = total.x; db[flat] = total.y; }
}`;
}

/** Whether the kernels take x, a weight and a bias (float32, [D], D = x's last axis) on this backend now. */
export function layerNormFusedTakes(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): boolean {
  const d = x.shape[x.rank - 1];
  const vector = (t: tf.Tensor) => t.rank === 1 && t.shape[0] === d;
  return x.rank >= 1 && vector(weight) && vector(bias) && fusedElementwiseTakes(x, weight, bias);
}

const rowsOf = (x: tf.Tensor) => x.size / x.shape[x.rank - 1]!;
const rowShape = (x: tf.Tensor) => [...x.shape.slice(0, -1), 1];

/** y (x's shape), μ and r (x's shape with last axis 1), one dispatch. */
export function layerNormForwardFused(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
): { y: tf.Tensor; mean: tf.Tensor; r: tf.Tensor } {
  const code = layerNormForwardWgsl(rowsOf(x), x.shape[x.rank - 1]!, eps);
  const [y, mean, r] = runSmallKernel(code, [x, weight, bias], [x.shape, rowShape(x), rowShape(x)], rowsOf(x));
  return { y: y!, mean: mean!, r: r! };
}

/** dx from the saved x, μ, r and weight and the output's gradient dy, one dispatch. */
export function layerNormBackwardFused(x: tf.Tensor, mean: tf.Tensor, r: tf.Tensor, weight: tf.Tensor, dy: tf.Tensor) {
  const code = layerNormBackwardWgsl(rowsOf(x), x.shape[x.rank - 1]!);
  return runSmallKernel(code, [x, mean, r, weight, dy], [x.shape], rowsOf(x))[0]!;
}

/** [dw, db] ([D] each) from the saved x, μ, r and the output's gradient dy, one dispatch. */
export function layerNormParamGradsFused(x: tf.Tensor, mean: tf.Tensor, r: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  const d = x.shape[x.rank - 1]!;
  return runSmallKernel(layerNormParamGradsWgsl(rowsOf(x), d), [x, mean, r, dy], [[d], [d]], d);
}
