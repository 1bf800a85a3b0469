/**
 * Additive attention biases, [B, 1, Tq or 1, Tk]: 0 where a query may see a key, MASK_MIN
 * elsewhere. One constant for every model: HF adds `torch.finfo(float32).min` on masked keys
 * (eager attention of Qwen3, CLIP, SigLIP and BERT alike). Not -inf: a query that sees nothing
 * (a left pad) then gets a finite uniform softmax, as in HF, and no NaN can leak into real
 * tokens through 0·NaN.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * −3.402823e38 as float32 (two float32 steps above HF's `torch.finfo(float32).min`): any masked
 * score rounds to it, and it is where tfjs-webgpu's softmax starts its row maximum. With finfo.min
 * itself a fully masked row (a left pad in batched generation) stays below that start, every
 * exp(x − max) is 0, and the row is 0/0 = NaN on webgpu, which then reaches every real token
 * through 0·NaN in the next layer. Masked keys still get exactly 0 probability, as in HF.
 */
export const MASK_MIN = Math.fround(-3.402823e38);

/**
 * Causal decoder with padding. `keyMask` [B, Tk] (1 = real token, 0 = pad) covers the cache
 * and the new tokens; the `tq` queries sit at positions [queryStart, queryStart + tq), by default
 * the last tq keys (a preallocated cache has keys after them, hidden as the future). Returns
 * [B, 1, tq, Tk].
 */
export function causalAttentionBias(keyMask: tf.Tensor2D, tq: number, queryStart?: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, tk] = keyMask.shape;
    const past = queryStart ?? tk - tq;
    const rows = tf.reshape(tf.range(past, past + tq, 1, 'int32'), [tq, 1]);
    const cols = tf.reshape(tf.range(0, tk, 1, 'int32'), [1, tk]);
    const causal = tf.reshape(tf.cast(tf.lessEqual(cols, rows), 'float32'), [1, 1, tq, tk]);
    const visible = tf.mul(causal, tf.reshape(tf.cast(tf.greater(keyMask, 0), 'float32'), [b, 1, 1, tk]));
    return tf.mul(tf.sub(1, visible), MASK_MIN) as tf.Tensor4D;
  });
}

/** Bidirectional encoder with padding: `keyMask` [B, Tk] (1 = token, 0 = pad) → [B, 1, 1, Tk]. */
export function paddingAttentionBias(keyMask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, tk] = keyMask.shape;
    const masked = tf.sub(1, tf.cast(tf.greater(keyMask, 0), 'float32'));
    return tf.reshape(tf.mul(masked, MASK_MIN), [b, 1, 1, tk]) as tf.Tensor4D;
  });
}
