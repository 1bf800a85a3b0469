/**
 * A batch of prompts of different lengths, as embeddings [T_i, H], left-padded to one length L with its mask and
 * HF's left-padding position ids (cumsum(mask) − 1, pads at 1), so each sequence decodes as if it ran alone and
 * every sequence's last prompt token is at L − 1. The padded embeddings [B, L, H] are never built whole: the
 * prefill takes them a chunk of positions at a time (`chunk`). At Qwen3-8B's width, 32 prompts of the seed's 4620
 * tokens are 2.4 GB of f32, over the 2 GiB a GPU binding holds on the H200; the tensor was also a copy of every
 * prompt kept for the whole prefill.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface LeftPadded {
  /** The padded length L. */
  readonly length: number;
  readonly mask: tf.Tensor2D;
  readonly positions: tf.Tensor2D;
  /** Each sequence's prompt length T_i (the position of its first new token). */
  readonly lengths: readonly number[];
  /** The padded embeddings of positions [s, s + n), [B, n, H] (caller owns): zeros before a prompt starts. */
  chunk(s: number, n: number): tf.Tensor3D;
}

/** Caller owns mask and positions; the prompts must outlive the result (chunk reads them). */
export function leftPad(prompts: readonly tf.Tensor2D[]): LeftPadded {
  const h = prompts[0]!.shape[1];
  const len = Math.max(...prompts.map((p) => p.shape[0]));
  const maskData = new Float32Array(prompts.length * len);
  const posData = new Int32Array(prompts.length * len);
  prompts.forEach((p, b) => {
    const pad = len - p.shape[0];
    for (let i = 0; i < len; i++) {
      maskData[b * len + i] = i >= pad ? 1 : 0;
      posData[b * len + i] = i >= pad ? i - pad : 1; // HF: cumsum(mask) - 1, pads filled with 1
    }
  });
  const chunk = (s: number, n: number): tf.Tensor3D =>
    tf.tidy(() => {
      if (s < 0 || n < 1 || s + n > len)
        throw new RangeError(`leftPad: positions [${s}, ${s + n}) outside [0, ${len})`);
      const rows = prompts.map((p) => {
        const pad = len - p.shape[0];
        // Zeros for the positions before the prompt starts, then its rows from s − pad on.
        const zeros = Math.min(n, Math.max(0, pad - s));
        if (zeros === n) return tf.zeros([n, h]);
        const from = Math.max(0, s - pad);
        const rowsOf = n - zeros === p.shape[0] ? p : tf.slice(p, [from, 0], [n - zeros, h]);
        return zeros > 0 ? tf.concat([tf.zeros([zeros, h]), rowsOf], 0) : rowsOf;
      });
      return (rows.length === 1 ? tf.expandDims(rows[0]!, 0) : tf.stack(rows)) as tf.Tensor3D;
    });
  return {
    length: len,
    mask: tf.tensor2d(maskData, [prompts.length, len]),
    positions: tf.tensor2d(posData, [prompts.length, len], 'int32'),
    lengths: prompts.map((p) => p.shape[0]),
    chunk,
  };
}
