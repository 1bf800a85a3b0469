/**
 * The activations HF encoder configs name in `hidden_act`, as tfjs functions with the exact
 * formulas transformers uses (ACT2FN), so a config selects the same curve in both. On webgpu,
 * float32, the GELUs are one dispatch each way of our own kernel (gpu/gelu-wgsl.ts, the same
 * operations; setFusedElementwiseDefault), a differentiable op that keeps only x for its backward;
 * everywhere else they run the tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';
import { geluBackwardFused, geluForwardFused, geluFusedTakes, type FusedGelu } from '../gpu/gelu-wgsl.js';

export type Activation = (x: tf.Tensor) => tf.Tensor;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** `ops` as tfjs ops, or on webgpu our kernel `act` (forward and backward) where it takes x. */
function fusedOr(act: FusedGelu, ops: Activation): Activation {
  const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor;
    save([x]);
    return {
      value: geluForwardFused(act, x),
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) =>
        dy.dtype === 'float32' ? geluBackwardFused(act, sx!, dy) : tf.grad(ops)(sx!, dy),
    };
  });
  return (x) => (geluFusedTakes(x) ? fused(x) : ops(x));
}

/** CLIP's `quick_gelu`: x * sigmoid(1.702 x). */
export const quickGelu: Activation = fusedOr('quick_gelu', (x) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));

/** Exact (erf) GELU, HF `gelu` (BERT) and torch's default nn.GELU() (the mlp2x_gelu projector). */
export const geluErf: Activation = fusedOr('gelu_erf', (x) =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
);

/** Tanh-approximated GELU, HF `gelu_pytorch_tanh` / `gelu_new` (SigLIP). */
export const geluTanh: Activation = fusedOr('gelu_tanh', (x) =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
);

const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  quick_gelu: quickGelu,
  gelu: geluErf,
  gelu_python: geluErf,
  gelu_pytorch_tanh: geluTanh,
  gelu_new: geluTanh,
  gelu_fast: geluTanh,
  relu: (x) => tf.relu(x),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
};

/** The activation a config's `hidden_act` names; throws a ConfigError listing the known ones. */
export function getActivation(name: string, file?: string): Activation {
  const f = ACTIVATIONS[name];
  if (!f) {
    throw new ConfigError(
      'E_CONFIG_UNSUPPORTED',
      `hidden_act "${name}" is not supported`,
      { hidden_act: name, ...(file ? { file } : {}) },
      `supported: ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  }
  return f;
}
