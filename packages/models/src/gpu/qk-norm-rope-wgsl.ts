/**
 * Qwen3's query and key preparation at inference in one dispatch: each head's vector RMSNorm'd (its q_norm or
 * k_norm weight), moved heads-first, and rotated (RoPE, rotate-half), for q and k together. Layer by layer that
 * was four dispatches (two norms, two rotations): a decoding step of Qwen3-0.6B issues 84 fewer (its host time is
 * mostly issuing them; bench/results/2026-11-28-gen-h200-session12.md).
 *
 * Bit for bit the two kernels it replaces (rms-norm-wgsl.ts, rope-wgsl.ts): one workgroup per head row with the
 * norm's workgroup size, the same strided partial sums and tree for the row's sum of squares, the same
 * r = inverseSqrt(mean + eps), and each normalized entry w·(x·r), a f32 the norm kernel would have stored, rotated
 * with the rope kernel's products and sums in their order.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { rmsNormWorkgroupSize } from './rms-norm-wgsl.js';
import {
  FLAT_WORKGROUP,
  KERNEL_BUILTINS,
  f32Literal,
  fusedElementwiseTakes,
  runSmallKernel,
  storageBindings,
} from './fused-elementwise.js';

/** q rows [B·T, Hq·d] and k rows [B·T, Hk·d] (the projections' outputs); cos and sin [CB, 1, T, d]. */
export interface QkNormRopeShape {
  readonly b: number;
  readonly t: number;
  readonly hq: number;
  readonly hk: number;
  readonly d: number;
  /** cos/sin's batch: B, or 1 (shared). */
  readonly cosBatch: number;
}

/**
 * The WGSL for a shape: the heads, d and whether cos is shared are constants; B and T are read at run time (from
 * cos's and q's lengths), so a new prompt length compiles nothing, as with the kernels it replaces.
 */
export function qkNormRopeWgsl(s: QkNormRopeShape, eps: number): string {
  const { hq, hk, d } = s;
  const wg = rmsNormWorkgroupSize(d);
  const half = d / 2;
  // One row: its sum of squares as rowSum (rms-norm-wgsl.ts) sums it, then the pairs (j, j + d/2).
  const row = (x: string, w: string, y: string, heads: number, first: string) => `{
    let r0 = ${first};
    let bt = r0 / ${heads}u; let hd = r0 % ${heads}u;
    let bi = bt / t; let ti = bt % t;
    let base = r0 * D;
    var acc = 0.0;
    for (var i = lid; i < D; i += WG) { acc += ${x}[base + i] * ${x}[base + i]; }
    part[lid] = acc;
    workgroupBarrier();
    for (var st = WG / 2u; st > 0u; st >>= 1u) {
      if (lid < st) { part[lid] += part[lid + st]; }
      workgroupBarrier();
    }
    let rr = inverseSqrt(part[0] / f32(D) + ${f32Literal(eps)});
    let at = ((bi * ${heads}u + hd) * t + ti) * D;
    let cs = (${s.cosBatch === 1 ? '0u' : 'bi'} * t + ti) * D;
    for (var j = lid; j < ${half}u; j += WG) {
      let x1 = ${w}[j] * (${x}[base + j] * rr);
      let x2 = ${w}[j + ${half}u] * (${x}[base + j + ${half}u] * rr);
      let c1 = cosv[cs + j]; let s1 = sinv[cs + j]; let c2 = cosv[cs + j + ${half}u]; let s2 = sinv[cs + j + ${half}u];
      ${y}[at + j] = x1 * c1 + (-x2) * s1;
      ${y}[at + j + ${half}u] = x2 * c2 + x1 * s2;
    }
  }`;
  return `${storageBindings(['xq', 'xk', 'wq', 'wk', 'cosv', 'sinv'], ['yq', 'yk'])}
const D = ${d}u;
const WG = ${wg}u;
var<workgroup> part: array<f32, WG>;
@compute @workgroup_size(WG)
fn main(${KERNEL_BUILTINS}) {
  ${FLAT_WORKGROUP}
  let t = arrayLength(&cosv) / ${s.cosBatch}u / D;
  let bt_all = arrayLength(&xq) / (${hq}u * D);
  let nq = bt_all * ${hq}u;
  if (flat >= nq + bt_all * ${hk}u) { return; }
  if (flat < nq) ${row('xq', 'wq', 'yq', hq, 'flat')} else ${row('xk', 'wk', 'yk', hk, 'flat - nq')}
}`;
}

/**
 * The kernel's view of the tensors, or undefined where it cannot take them (the caller runs the norms and the
 * rotations as before): float32 on webgpu with our kernels on, q [B·T, Hq·d] and k [B·T, Hk·d] rows, weights
 * [d], cos and sin [B or 1, 1, T, d], d even.
 */
export function qkNormRopeShape(
  q: tf.Tensor,
  k: tf.Tensor,
  wq: tf.Tensor,
  wk: tf.Tensor,
  cos: tf.Tensor,
  sin: tf.Tensor,
  heads: { b: number; t: number; hq: number; hk: number; d: number },
): QkNormRopeShape | undefined {
  const { b, t, hq, hk, d } = heads;
  const [cb, one, ct, cd] = cos.shape;
  const fits =
    d % 2 === 0 &&
    q.size === b * t * hq * d &&
    k.size === b * t * hk * d &&
    wq.rank === 1 &&
    wq.shape[0] === d &&
    wk.rank === 1 &&
    wk.shape[0] === d &&
    cos.rank === 4 &&
    (cb === b || cb === 1) &&
    one === 1 &&
    ct === t &&
    cd === d &&
    sin.shape.every((n, i) => n === cos.shape[i]) &&
    fusedElementwiseTakes(q, k, wq, wk, cos, sin);
  return fits ? { ...heads, cosBatch: cb! } : undefined;
}

/** q [B, Hq, T, d] and k [B, Hk, T, d], normalized and rotated, in one dispatch. */
export function qkNormRopeFused(
  s: QkNormRopeShape,
  q: tf.Tensor,
  k: tf.Tensor,
  wq: tf.Tensor,
  wk: tf.Tensor,
  cos: tf.Tensor,
  sin: tf.Tensor,
  eps: number,
): { q: tf.Tensor4D; k: tf.Tensor4D } {
  const [yq, yk] = runSmallKernel(
    qkNormRopeWgsl(s, eps),
    [q, k, wq, wk, cos, sin],
    [
      [s.b, s.hq, s.t, s.d],
      [s.b, s.hk, s.t, s.d],
    ],
    s.b * s.t * (s.hq + s.hk),
  );
  return { q: yq as tf.Tensor4D, k: yk as tf.Tensor4D };
}
