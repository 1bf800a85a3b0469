/** LayerNorm over the last axis with HF's biased variance and eps inside the square root. */
import * as tf from '@tensorflow/tfjs-core';

export interface LayerNormWeights {
  readonly weight: tf.Tensor1D;
  readonly bias: tf.Tensor1D;
}

/** (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last axis. */
export function layerNorm(x: tf.Tensor, ln: LayerNormWeights, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axis, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), ln.weight), ln.bias);
  });
}
