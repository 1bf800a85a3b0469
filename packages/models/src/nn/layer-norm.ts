/**
 * LayerNorm over the last axis with HF's biased variance and eps inside the square root.
 *
 * On webgpu, float32, each direction is our own kernel (gpu/layer-norm-wgsl.ts;
 * setFusedElementwiseDefault): a differentiable op that keeps x and the row's μ and 1/σ for its
 * backward. Frozen weight and bias (the encoders': CLIP, SigLIP, BERT) get no gradient, so the
 * backward is one dispatch for dx; trainable ones (a tf.Variable: the demo's vision pretraining)
 * get theirs from a second. Every other backend runs the tfjs ops, whose autodiff covers both.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  layerNormBackwardFused,
  layerNormForwardFused,
  layerNormFusedTakes,
  layerNormParamGradsFused,
} from '../gpu/layer-norm-wgsl.js';

export interface LayerNormWeights {
  readonly weight: tf.Tensor1D;
  readonly bias: tf.Tensor1D;
}

const trainable = (t: tf.Tensor) => t instanceof tf.Variable && t.trainable;

/** (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last axis. */
export function layerNorm(x: tf.Tensor, ln: LayerNormWeights, eps: number): tf.Tensor {
  if (!layerNormFusedTakes(x, ln.weight, ln.bias)) return tf.tidy(() => layerNormOps(x, ln, eps));
  // Chosen once per call: the weight and bias are inputs of the op (with gradients) only if trainable.
  const params = trainable(ln.weight) || trainable(ln.bias);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xi, w, b] = params ? (args as tf.Tensor[]) : [args[0] as tf.Tensor, ln.weight, ln.bias];
    const { y, mean, r } = layerNormForwardFused(xi!, w!, b!, eps);
    save([xi!, mean, r, w!]); // the weight too: a caller's may be gone by the backward (shared, not copied)
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sm, sr, sw] = saved;
          const g = dy.dtype === 'float32' ? dy : tf.cast(dy, 'float32');
          const dx = layerNormBackwardFused(sx!, sm!, sr!, sw!, g);
          return params ? [dx, ...layerNormParamGradsFused(sx!, sm!, sr!, g)] : dx;
        }),
    };
  });
  return params ? f(x, ln.weight, ln.bias) : f(x);
}

/** The forward in HF's order of operations (the values parity checks). */
function layerNormOps(x: tf.Tensor, ln: LayerNormWeights, eps: number): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axis, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), ln.weight), ln.bias);
}
