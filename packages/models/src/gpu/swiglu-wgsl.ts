/**
 * SwiGLU (nn/swiglu.ts) as one elementwise dispatch each way, with the tfjs ops' operations in
 * their order: σ(g) = 1/(1 + exp(−g)) as tfjs-webgpu's sigmoid, y = (g·σ)·u; backward
 * dg = (dy·u)·σ·(1 + g·(1 − σ)), du = dy·(g·σ). fused-elementwise-tolerance.ts bounds the
 * difference (WGSL's exp and division are not correctly rounded).
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ELEMENTWISE_WORKGROUP as WG,
  elementwiseWgsl,
  fusedElementwiseTakes,
  runSmallKernel,
  storageBindings,
} from './fused-elementwise.js';

/** σ as tfjs-webgpu's sigmoid computes it (f16-gemv-wgsl.ts's gated product uses it too). */
export const SIGMOID = 'fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }';
// The count is the output's length at run time: one pipeline for every size.
const elementwise = (out: string, bindings: string, body: string) =>
  elementwiseWgsl(`arrayLength(&${out})`, `${bindings}\n${SIGMOID}`, body);

export const swiGluForwardWgsl = (): string =>
  elementwise('y', storageBindings(['g', 'u'], ['y']), 'let gv = g[i]; y[i] = (gv * sigmoid(gv)) * u[i];');

export const swiGluBackwardWgsl = (): string =>
  elementwise(
    'dg',
    storageBindings(['g', 'u', 'dy'], ['dg', 'du']),
    `let gv = g[i];
  let s = sigmoid(gv);
  let dyv = dy[i];
  dg[i] = (dyv * u[i]) * (s * (1.0 + gv * (1.0 - s)));
  du[i] = dyv * (gv * s);`,
  );

/** Whether the kernel takes g and u (float32, one shape) on this backend now. */
export const swiGluFusedTakes = (g: tf.Tensor, u: tf.Tensor): boolean =>
  g.shape.length === u.shape.length && g.shape.every((s, i) => s === u.shape[i]) && fusedElementwiseTakes(g, u);

/** g·σ(g)·u, one dispatch. */
export const swiGluForwardFused = (g: tf.Tensor, u: tf.Tensor): tf.Tensor =>
  runSmallKernel(swiGluForwardWgsl(), [g, u], [g.shape], Math.ceil(g.size / WG))[0]!;

/** [dg, du] from the saved g and u and the output's gradient dy, one dispatch. */
export const swiGluBackwardFused = (g: tf.Tensor, u: tf.Tensor, dy: tf.Tensor): tf.Tensor[] =>
  runSmallKernel(swiGluBackwardWgsl(), [g, u, dy], [g.shape, g.shape], Math.ceil(g.size / WG));
