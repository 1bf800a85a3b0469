/** Moving between the residual layout [B, T, heads·d] and the per-head layout attention reads. */
import * as tf from '@tensorflow/tfjs-core';

/** [B, T, heads·d] → [B, heads, T, d]. */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t, h] = x.shape as [number, number, number];
    return tf.transpose(tf.reshape(x, [b, t, heads, h / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
  });
}

/** [B, heads, T, d] → [B, T, heads·d]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, n, t, d] = x.shape;
    return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, n * d]) as tf.Tensor3D;
  });
}
