/**
 * The additive attention bias of a causal decoder with padding: 0 where query i may see key
 * j (j is not in the future and not padding), a large negative number elsewhere. Not -inf:
 * a query that sees nothing (a left pad) then gets a finite uniform softmax, as HF's eager
 * attention does with finfo.min, and no NaN can leak into real tokens through 0·NaN.
 */
import * as tf from '@tensorflow/tfjs-core';

export const MASKED_BIAS = -1e9;

/**
 * `keyMask` [B, Tk] (1 = real token, 0 = pad) covers the cache and the new tokens; the
 * `tq` queries are the last tq keys. Returns [B, 1, tq, Tk].
 */
export function causalAttentionBias(keyMask: tf.Tensor2D, tq: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, tk] = keyMask.shape;
    const past = tk - tq;
    const rows = tf.reshape(tf.range(past, tk, 1, 'int32'), [tq, 1]);
    const cols = tf.reshape(tf.range(0, tk, 1, 'int32'), [1, tk]);
    const causal = tf.reshape(tf.cast(tf.lessEqual(cols, rows), 'float32'), [1, 1, tq, tk]);
    const visible = tf.mul(causal, tf.reshape(tf.cast(tf.greater(keyMask, 0), 'float32'), [b, 1, 1, tk]));
    return tf.mul(tf.sub(visible, 1), -MASKED_BIAS) as tf.Tensor4D;
  });
}
