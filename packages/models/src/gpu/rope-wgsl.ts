/**
 * RoPE (nn/rotary.ts, rotate-half) as one elementwise dispatch each way: each invocation takes a
 * pair (j, j + d/2) of one head's vector, so x is read once, and computes the tfjs ops' products
 * and sum in their order: forward x·cos + rotate_half(x)·sin, backward dy·cos + Rᵀ(dy·sin).
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ELEMENTWISE_WORKGROUP as WG,
  elementwiseWgsl,
  fusedElementwiseTakes,
  runSmallKernel,
  storageBindings,
} from './fused-elementwise.js';

/** x [B, H, T, d]; cos and sin [CB, 1, T, d] with CB = B, or 1 (shared by the batch). */
export interface RopeShape {
  readonly b: number;
  readonly h: number;
  readonly t: number;
  readonly d: number;
  readonly cosBatch: number;
}

/** WGSL for one pair: x1, x2 (the halves' entries), c1, s1, c2, s2 (cos and sin at j and j + d/2). */
function ropeKernel(s: RopeShape, ins: string[], out: string, pair: string): string {
  const half = s.d / 2;
  // The sequence length and the pair count at run time (cos is [CB, 1, T, d], the output [B, H, T, d]): one
  // pipeline for every T, so a new prompt length compiles nothing.
  const body = `let t = arrayLength(&cosv) / ${s.cosBatch * s.d}u;
  let row = i / ${half}u;
  let j = i % ${half}u;
  let b = row / (${s.h}u * t);
  let cb = ${s.cosBatch === 1 ? '0u' : 'b'};
  let cs = (cb * t + row % t) * ${s.d}u + j;
  let at = row * ${s.d}u + j;
  let c1 = cosv[cs]; let s1 = sinv[cs]; let c2 = cosv[cs + ${half}u]; let s2 = sinv[cs + ${half}u];
  ${pair}`;
  return elementwiseWgsl(`arrayLength(&${out}) / 2u`, storageBindings([...ins, 'cosv', 'sinv'], [out]), body);
}

/** y = x·cos + rotate_half(x)·sin, rotate_half(x) = [−x2, x1]. */
export const ropeForwardWgsl = (s: RopeShape): string =>
  ropeKernel(
    s,
    ['x'],
    'y',
    `let x1 = x[at]; let x2 = x[at + ${s.d / 2}u];
  y[at] = x1 * c1 + (-x2) * s1;
  y[at + ${s.d / 2}u] = x2 * c2 + x1 * s2;`,
  );

/** dx = dy·cos + Rᵀ(dy·sin), Rᵀ[z1, z2] = [z2, −z1]. */
export const ropeBackwardWgsl = (s: RopeShape): string =>
  ropeKernel(
    s,
    ['dy'],
    'dx',
    `let y1 = dy[at]; let y2 = dy[at + ${s.d / 2}u];
  dx[at] = y1 * c1 + y2 * s2;
  dx[at + ${s.d / 2}u] = y2 * c2 + (-(y1 * s1));`,
  );

/** The kernels' view of x, cos, sin; undefined where they cannot take them (the tfjs ops do). */
export function ropeFusedShape(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): RopeShape | undefined {
  const [b, h, t, d] = x.shape;
  const [cb, one, ct, cd] = cos.shape;
  const fits =
    d % 2 === 0 &&
    (cb === b || cb === 1) &&
    one === 1 &&
    ct === t &&
    cd === d &&
    sin.shape.every((n, i) => n === cos.shape[i]) &&
    fusedElementwiseTakes(x, cos, sin);
  return fits ? { b, h, t, d, cosBatch: cb } : undefined;
}

const workgroups = (s: RopeShape) => Math.ceil((s.b * s.h * s.t * s.d) / 2 / WG);

/** The forward for a shape from ropeFusedShape, one dispatch. */
export const ropeForwardFused = (s: RopeShape, x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D =>
  runSmallKernel(ropeForwardWgsl(s), [x, cos, sin], [x.shape], workgroups(s))[0] as tf.Tensor4D;

/** dx from dy and the saved cos and sin, one dispatch. */
export const ropeBackwardFused = (s: RopeShape, dy: tf.Tensor, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D =>
  runSmallKernel(ropeBackwardWgsl(s), [dy, cos, sin], [dy.shape], workgroups(s))[0] as tf.Tensor4D;
