/**
 * Rotary position embeddings with Hugging Face's `rotate_half` convention: the head
 * dimension is split in halves (not interleaved pairs), cos/sin repeat the frequencies
 * twice, and x' = x·cos + rotate_half(x)·sin with rotate_half(x) = [-x2, x1].
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * inv_freq[i] = 1 / theta^(2i / headDim), rounded through float32 at every step as torch
 * computes it (so long positions match HF, not a more exact float64 value).
 */
export function ropeInvFreq(headDim: number, theta: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headDim)));
  return out;
}

/** cos and sin for integer positions [B, T]: each [B, 1, T, headDim] (broadcast over heads). */
export function ropeCosSin(
  positionIds: tf.Tensor2D,
  headDim: number,
  theta: number,
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, t] = positionIds.shape;
    const inv = tf.tensor1d(ropeInvFreq(headDim, theta));
    const freqs = tf.mul(tf.reshape(tf.cast(positionIds, 'float32'), [b, t, 1]), tf.reshape(inv, [1, 1, headDim / 2]));
    const emb = tf.reshape(tf.concat([freqs, freqs], -1), [b, 1, t, headDim]);
    return { cos: tf.cos(emb) as tf.Tensor4D, sin: tf.sin(emb) as tf.Tensor4D };
  });
}

/** Applies RoPE to x [B, heads, T, headDim] with cos/sin [B, 1, T, headDim]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3);
    const rotated = tf.concat([tf.neg(x2!), x1!], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  });
}
