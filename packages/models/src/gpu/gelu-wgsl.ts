/**
 * The encoders' GELUs (nn/activations.ts) as one elementwise dispatch each way: CLIP's quick_gelu,
 * the exact (erf) GELU of BERT and the mlp2x_gelu projector, SigLIP's tanh GELU. Each kernel does
 * the tfjs ops' operations in their order with their f32 constants, the functions as tfjs-webgpu
 * writes them (σ = 1/(1 + exp(−z)); erf by Abramowitz–Stegun 7.1.26 as tfjs on every backend;
 * tanh = sign·(1 − e)/(1 + e), e = exp(−2|z|)); the backward is what tfjs's autodiff of those ops
 * computes, in its order. fused-encoder-tolerance.ts bounds the difference.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ELEMENTWISE_WORKGROUP as WG,
  elementwiseWgsl,
  f32Literal as c,
  fusedElementwiseTakes,
  runSmallKernel,
  storageBindings,
} from './fused-elementwise.js';

/** The GELUs the kernels compute, by the HF `hidden_act` family names. */
export type FusedGelu = 'quick_gelu' | 'gelu_erf' | 'gelu_tanh';

/** tfjs-core's backend_util ERF_* constants (tfjs's erf on cpu and webgpu alike). */
const ERF = [0.3275911, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429] as const;
const [P, A1, A2, A3, A4, A5] = ERF.map(c);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const FUNCTIONS = `
fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * v)); }
fn erf_(a: f32) -> f32 {
  let v = abs(a);
  let t = 1.0 / (1.0 + ${P} * v);
  return sign(a) * (1.0 - (((((${A5} * t + ${A4}) * t) + ${A3}) * t + ${A2}) * t + ${A1}) * t * exp(-v * v));
}
fn tanh_(a: f32) -> f32 {
  let e = exp(-2.0 * abs(a));
  return sign(a) * (1.0 - e) / (1.0 + e);
}`;

/** WGSL per element: forward (x → y), backward (x, dyv → dx), as tfjs's ops and their autodiff. */
const BODIES: Readonly<Record<FusedGelu, { forward: string; backward: string }>> = {
  // x·σ(1.702x); dx = dy·σ + ((dy·x)·(σ(1 − σ)))·1.702.
  quick_gelu: {
    forward: `y[i] = xv * sigmoid(xv * ${c(1.702)});`,
    backward: `let s = sigmoid(xv * ${c(1.702)});
  dx[i] = dyv * s + ((dyv * xv) * (s * (1.0 - s))) * ${c(1.702)};`,
  },
  // (x·½)·(1 + erf(x·√½)); dx = (dy·q)·½ + ((dy·(x·½))·(exp(−a²)·2/√π))·√½.
  gelu_erf: {
    forward: `y[i] = (xv * 0.5) * (1.0 + erf_(xv * ${c(Math.SQRT1_2)}));`,
    backward: `let a = xv * ${c(Math.SQRT1_2)};
  let k = exp(-(a * a)) * ${c(2 / Math.sqrt(Math.PI))};
  dx[i] = (dyv * (1.0 + erf_(a))) * 0.5 + ((dyv * (xv * 0.5)) * k) * ${c(Math.SQRT1_2)};`,
  },
  // (x·½)·(1 + tanh(k·(x + 0.044715·x³))); dx = (dy·q)·½ + w + (w·0.044715)·(3·x²),
  // w = ((dy·(x·½))·(1 − t²))·k.
  gelu_tanh: {
    forward: `let z = ${c(SQRT_2_OVER_PI)} * (xv + ${c(0.044715)} * (xv * xv * xv));
  y[i] = (xv * 0.5) * (1.0 + tanh_(z));`,
    backward: `let t = tanh_(${c(SQRT_2_OVER_PI)} * (xv + ${c(0.044715)} * (xv * xv * xv)));
  let w = ((dyv * (xv * 0.5)) * (1.0 - t * t)) * ${c(SQRT_2_OVER_PI)};
  dx[i] = (dyv * (1.0 + t)) * 0.5 + (w + (w * ${c(0.044715)}) * (3.0 * (xv * xv)));`,
  },
};

export const geluForwardWgsl = (act: FusedGelu, n: number): string =>
  elementwiseWgsl(n, `${storageBindings(['x'], ['y'])}\n${FUNCTIONS}`, `let xv = x[i];\n  ${BODIES[act].forward}`);

export const geluBackwardWgsl = (act: FusedGelu, n: number): string =>
  elementwiseWgsl(
    n,
    `${storageBindings(['x', 'dy'], ['dx'])}\n${FUNCTIONS}`,
    `let xv = x[i];\n  let dyv = dy[i];\n  ${BODIES[act].backward}`,
  );

/** Whether the kernels take x (float32) on this backend now. */
export const geluFusedTakes = (x: tf.Tensor): boolean => fusedElementwiseTakes(x);

/** act(x), one dispatch. */
export const geluForwardFused = (act: FusedGelu, x: tf.Tensor): tf.Tensor =>
  runSmallKernel(geluForwardWgsl(act, x.size), [x], [x.shape], Math.ceil(x.size / WG))[0]!;

/** dx from the saved x and the output's gradient dy, one dispatch. */
export const geluBackwardFused = (act: FusedGelu, x: tf.Tensor, dy: tf.Tensor): tf.Tensor =>
  runSmallKernel(geluBackwardWgsl(act, x.size), [x, dy], [x.shape], Math.ceil(x.size / WG))[0]!;
