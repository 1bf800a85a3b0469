/** RMSNorm as Hugging Face's Llama/Qwen3 compute it: weight * x / sqrt(mean(x²) + eps). */
import * as tf from '@tensorflow/tfjs-core';

/** Normalises over the last axis of `x`; `weight` has that axis' size. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(weight, tf.mul(x, tf.rsqrt(tf.add(variance, eps))));
  });
}
