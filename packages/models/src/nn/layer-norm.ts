/**
 * LayerNorm over the last axis with HF's biased variance and eps inside the square root.
 *
 * On webgpu, float32, with frozen weight and bias (the encoders': CLIP, SigLIP, BERT), each
 * direction is one dispatch of our own kernel (gpu/layer-norm-wgsl.ts; setFusedElementwiseDefault),
 * a differentiable op that keeps x and the row's μ and 1/σ for its backward (no gradient for the
 * weight and bias). Trainable weights (a tf.Variable: the demo's vision pretraining) and every other
 * backend run the tfjs ops, whose autodiff covers them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerNormBackwardFused, layerNormForwardFused, layerNormFusedTakes } from '../gpu/layer-norm-wgsl.js';

export interface LayerNormWeights {
  readonly weight: tf.Tensor1D;
  readonly bias: tf.Tensor1D;
}

const trainable = (t: tf.Tensor) => t instanceof tf.Variable && t.trainable;

/** (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last axis. */
export function layerNorm(x: tf.Tensor, ln: LayerNormWeights, eps: number): tf.Tensor {
  const { weight, bias } = ln;
  if (trainable(weight) || trainable(bias) || !layerNormFusedTakes(x, weight, bias)) {
    return tf.tidy(() => layerNormOps(x, ln, eps));
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor;
    const { y, mean, r } = layerNormForwardFused(xi, weight, bias, eps);
    save([xi, mean, r, weight]); // the weight too: a caller's may be gone by the backward (shared, not copied)
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sm, sr, sw] = saved;
        if (dy.dtype === 'float32') return layerNormBackwardFused(sx!, sm!, sr!, sw!, dy);
        // x̂ = (x − μ)·r, g = dy·w: dx = r·(g − mean(g) − x̂·mean(g·x̂)).
        return tf.tidy(() => {
          const g = tf.mul(tf.cast(dy, 'float32'), sw!);
          const xh = tf.mul(tf.sub(sx!, sm!), sr!);
          const mg = tf.mean(g, -1, true);
          return tf.mul(sr!, tf.sub(tf.sub(g, mg), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))));
        });
      },
    };
  });
  return f(x);
}

/** The forward in HF's order of operations (the values parity checks). */
function layerNormOps(x: tf.Tensor, ln: LayerNormWeights, eps: number): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axis, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), ln.weight), ln.bias);
}
