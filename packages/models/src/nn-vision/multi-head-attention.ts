/**
 * Scaled dot-product attention over heads, as HF's eager attention: softmax(q k^T / sqrt(d)
 * + mask) v, with an optional additive mask broadcast over heads and queries.
 */
import * as tf from '@tensorflow/tfjs-core';

/** float32's most negative finite value: HF adds `torch.finfo(float32).min` on masked keys. */
export const MASK_MIN = -3.4028234663852886e38;

/**
 * q [B, Tq, H], k and v [B, Tk, H] (already projected) → [B, Tq, H].
 * `additiveMask` [B, 1, 1, Tk] (0 keep, MASK_MIN drop) if given.
 */
export function multiHeadAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, numHeads: number, additiveMask?: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, tq, h] = q.shape;
    const tk = k.shape[1];
    const d = h / numHeads;
    const split = (x: tf.Tensor3D, t: number) => tf.transpose(tf.reshape(x, [b, t, numHeads, d]), [0, 2, 1, 3]);
    let scores = tf.mul(tf.matMul(split(q, tq), split(k, tk), false, true), 1 / Math.sqrt(d));
    if (additiveMask) scores = tf.add(scores, additiveMask);
    const probs = tf.softmax(scores, -1);
    const out = tf.matMul(probs, split(v, tk));
    return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b, tq, h]) as tf.Tensor3D;
  });
}

/** Builds the additive mask [B, 1, 1, T] from a 0/1 attention mask [B, T]. */
export function additiveKeyMask(attentionMask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = attentionMask.shape;
    const keep = tf.cast(attentionMask, 'float32');
    return tf.reshape(tf.mul(tf.sub(1, keep), MASK_MIN), [b, 1, 1, t]) as tf.Tensor4D;
  });
}
