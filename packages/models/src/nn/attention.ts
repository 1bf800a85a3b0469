/**
 * The one attention of every model here: scaled dot-product attention over heads, causal or
 * bidirectional (the mask is an additive bias), with grouped-query heads, forward and backward,
 * memory-bounded (the FlashAttention recipe written with tfjs ops). The forward attends in query
 * chunks and keeps, per query row, only the softmax max and denominator; the backward recomputes each
 * chunk's probabilities from them. Neither pass ever holds more than one chunk of scores, so
 * training memory grows with T·d, not T², and no tensor outgrows a WebGPU binding (2 GiB).
 *
 * Without this, autodiff through a chunked softmax keeps every chunk's probabilities until
 * the backward pass: 7.4 GB a layer for the seed's batch of 4 × 5376 tokens. Where no gradient
 * tape records (inference, generation), each chunk is a plain softmax (one kernel) and nothing
 * is kept for a backward.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import {
  attentionRowsPerChunk,
  catRows,
  chunkBias,
  chunkStarts,
  keyEnd,
  keysUpTo,
  rowsOf,
  scores,
  ungrouped,
  type AttentionShapes,
  type Chunks,
} from './attention-blocks.js';
import { backward } from './attention-backward.js';
import { attentionMatMul } from './attention-matmul.js';
import { fusedAttention, withCausal } from './attention-fused.js';
import { replayed, type AttentionReplay } from './attention-replay.js';

export interface AttentionOptions {
  /**
   * Additive bias on the scores (masks, never differentiated): [B, 1, Tq, Tk] (causal) or
   * [B, 1, 1, Tk] (padding, the same for every query). None: every query sees every key.
   */
  readonly bias?: tf.Tensor4D | undefined;
  /**
   * Query t also sees only keys up to S − T + t (combined with `bias`: a key masked by either is
   * masked). Lets the fused kernel skip whole blocks, where a [B, 1, T, S] bias cannot say so.
   */
  readonly causal?: boolean | undefined;
  /**
   * With `causal`: every query row sees at least one key at or before its position (a prefix that
   * is never padded, as the VLM's vision tokens). The tfjs op then attends each query chunk only to
   * the keys up to its last row's position, about half the work: the later keys are masked for every
   * row of the chunk, and in a row that sees a key their probability is exactly 0. Without it a
   * chunk might hold a row that sees nothing, whose uniform average (as in HF) spans every key.
   */
  readonly everyRowSeesAKey?: boolean | undefined;
  /**
   * true: the fused webgpu kernels where they can run; false: the tfjs op (benchmarks, the fused
   * kernels' self-test). Default: setFusedAttentionDefault (gpu/flash-attention.ts; off for now).
   */
  readonly fused?: boolean | undefined;
  /** Largest score block [B, heads, rows, keys] in bytes (float32); default DEFAULT_ATTENTION_CHUNK_BYTES. */
  readonly chunkBytes?: number | undefined;
  /**
   * Keeps this forward's results, or replays the kept ones instead of computing them again (a
   * checkpointed layer's recompute, nn/checkpointed.ts). With it the forward always computes the
   * statistics a backward needs, tape or not.
   */
  readonly replay?: AttentionReplay | undefined;
}

/** 256 MiB of float32 scores per block. */
export const DEFAULT_ATTENTION_CHUNK_BYTES = 256 * 2 ** 20;

export { attentionRowsPerChunk };

/**
 * softmax(q·kᵀ/√d + bias)·v for q [B, nh, T, d], k and v [B, nkv, Tk, d] (nh a multiple of
 * nkv). Gradients flow to q, k and v. On the webgpu backend the fused kernels (gpu/flash-attention.ts)
 * take the call when asked and able (attention-fused.ts); elsewhere, and as the f32 reference, tfjs ops.
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, opts: AttentionOptions = {}): tf.Tensor4D {
  const [b, nh, t, d] = q.shape;
  const [, nkv, tk] = k.shape;
  if (nh % nkv !== 0) throw new RangeError(`attention: ${nh} query heads are not a multiple of ${nkv} kv heads`);
  const out = fusedAttention(q, k, v, opts.bias, opts.causal ?? false, opts.fused, opts.replay);
  if (out) return out;
  const chunked = opts.causal && opts.everyRowSeesAKey && tk >= t;
  if (opts.causal && !chunked) {
    return tf.tidy(() => attention(q, k, v, { ...opts, causal: false, bias: withCausal(opts.bias, t, tk) }));
  }
  const s: AttentionShapes = { b, nh, nkv, rep: nh / nkv, t, tk, d };
  const rows = attentionRowsPerChunk(b, nh, tk, opts.chunkBytes ?? DEFAULT_ATTENTION_CHUNK_BYTES);
  const starts = chunkStarts(t, rows);
  const c: Chunks = { s, rows, starts, causalOffset: chunked ? tk - t : undefined };
  return tapeRecording() || opts.replay
    ? withBackward(q, k, v, opts.bias, c, opts.replay)
    : forwardOnly(q, k, v, opts.bias, c);
}

type Bias = tf.Tensor4D | undefined;

/** No backward can follow: each chunk is softmax(scores)·v, and nothing is kept. */
function forwardOnly(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: Bias, c: Chunks): tf.Tensor4D {
  const { s, rows, starts } = c;
  // One tidy per chunk: a chunk's bias slice and scores are gone before the next chunk's exist
  // (one tidy around all of them held every chunk's: 56 GB at the seed's batch and Qwen3-8B widths).
  const outs = starts.map((start) =>
    tf.tidy(() => {
      const n = Math.min(rows, s.t - start);
      const kEnd = keyEnd(c, start, n);
      const p = tf.softmax(scores(rowsOf(q, start, n), keysUpTo(k, kEnd), chunkBias(bias, c, start, n), s, n));
      return ungrouped(attentionMatMul(p, keysUpTo(v, kEnd)), s, n);
    }),
  );
  const out = catRows(outs);
  if (outs.length > 1) for (const o of outs) o.dispose();
  return out;
}

/** The forward a backward may follow: per row, only the softmax max and denominator are kept. */
function withBackward(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: Bias,
  c: Chunks,
  replay: AttentionReplay | undefined,
): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [qi, ki, vi] = args as tf.Tensor4D[];
    const [out, mx, sum] = replayed(replay, qi!, () => chunkedForward(qi!, ki!, vi!, bias, c));
    // The bias is saved too: the caller's copy is gone (tidied) by the time the backward runs.
    save(bias ? [qi!, ki!, vi!, out, mx, sum, bias] : [qi!, ki!, vi!, out, mx, sum]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor4D, saved as tf.Tensor4D[], c);
    return { value: out, gradFunc };
  });
  return f(q, k, v) as tf.Tensor4D;
}

/** The output and, per row, the softmax max and denominator [B, nh, T, 1], chunk by chunk. */
function chunkedForward(
  qi: tf.Tensor4D,
  ki: tf.Tensor4D,
  vi: tf.Tensor4D,
  bias: Bias,
  c: Chunks,
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const { s, rows, starts } = c;
  const outs: tf.Tensor4D[] = [];
  const maxes: tf.Tensor4D[] = [];
  const sums: tf.Tensor4D[] = [];
  for (const start of starts) {
    const n = Math.min(rows, s.t - start);
    const [o, m, l] = tf.tidy(() => {
      const kEnd = keyEnd(c, start, n);
      const sc = scores(rowsOf(qi, start, n), keysUpTo(ki, kEnd), chunkBias(bias, c, start, n), s, n);
      // Max subtraction as torch's softmax: exp(x - max) is exact where x - lse would round
      // away (a fully masked row sits near MASK_MIN, where float32 steps are 2·10³¹ apart).
      const mx = tf.max(sc, -1, true);
      const e = tf.exp(tf.sub(sc, mx));
      const sum = tf.sum(e, -1, true);
      const oc = ungrouped(attentionMatMul(tf.div(e, sum) as tf.Tensor4D, keysUpTo(vi, kEnd)), s, n);
      // Row statistics are kept per head [B, nh, n, 1] so chunks concatenate along rows.
      return [oc, ungrouped(mx, s, n), ungrouped(sum, s, n)] as tf.Tensor4D[];
    });
    outs.push(o!);
    maxes.push(m!);
    sums.push(l!);
  }
  return [catRows(outs), catRows(maxes), catRows(sums)];
}
