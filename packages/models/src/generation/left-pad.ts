/**
 * A batch of prompts of different lengths, as embeddings [T_i, H], left-padded into one tensor
 * [B, L, H] with its mask and HF's left-padding position ids (cumsum(mask) − 1, pads at 1), so
 * each sequence decodes as if it ran alone and every sequence's last prompt token is at L − 1.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface LeftPadded {
  readonly embeds: tf.Tensor3D;
  readonly mask: tf.Tensor2D;
  readonly positions: tf.Tensor2D;
  /** Each sequence's prompt length T_i (the position of its first new token). */
  readonly lengths: readonly number[];
}

/** Caller owns the returned tensors. */
export function leftPad(prompts: readonly tf.Tensor2D[]): LeftPadded {
  return tf.tidy(() => {
    const h = prompts[0]!.shape[1];
    const len = Math.max(...prompts.map((p) => p.shape[0]));
    const rows = prompts.map((p) => (p.shape[0] < len ? tf.concat([tf.zeros([len - p.shape[0], h]), p], 0) : p));
    const maskData = new Float32Array(prompts.length * len);
    const posData = new Int32Array(prompts.length * len);
    prompts.forEach((p, b) => {
      const pad = len - p.shape[0];
      for (let i = 0; i < len; i++) {
        maskData[b * len + i] = i >= pad ? 1 : 0;
        posData[b * len + i] = i >= pad ? i - pad : 1; // HF: cumsum(mask) - 1, pads filled with 1
      }
    });
    return {
      embeds: (prompts.length === 1 ? tf.expandDims(rows[0]!, 0) : tf.stack(rows)) as tf.Tensor3D,
      mask: tf.tensor2d(maskData, [prompts.length, len]),
      positions: tf.tensor2d(posData, [prompts.length, len], 'int32'),
      lengths: prompts.map((p) => p.shape[0]),
    };
  });
}
