/**
 * The score blocks `attention` works in: query chunks of rows [B, heads, rows, Tk], with the
 * query heads of one kv head stacked along rows so grouped-query attention never repeats K/V.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withCausal } from './attention-fused.js';
import { attentionMatMul } from './attention-matmul.js';

export interface AttentionShapes {
  readonly b: number;
  readonly nh: number;
  readonly nkv: number;
  readonly rep: number;
  readonly t: number;
  readonly tk: number;
  readonly d: number;
}

/** The shapes and the query chunks (`rows` rows from each of `starts`) of one call. */
export interface Chunks {
  readonly s: AttentionShapes;
  readonly rows: number;
  readonly starts: readonly number[];
  /**
   * Causal with every row seeing a key (attention.ts `everyRowSeesAKey`): the key position of query
   * row 0 (Tk − T). A chunk then attends only to the keys up to its last row's position and builds
   * its causal mask itself. Undefined: every chunk attends to every key through the given bias.
   */
  readonly causalOffset?: number | undefined;
}

/** How many keys (from the first) a chunk of `n` rows from `start` attends to. */
export const keyEnd = (c: Chunks, start: number, n: number): number =>
  c.causalOffset === undefined ? c.s.tk : c.causalOffset + start + n;

/** The first `kEnd` keys (or values) along axis 2 (all of them: no copy). */
export const keysUpTo = (x: tf.Tensor4D, kEnd: number): tf.Tensor4D =>
  kEnd === x.shape[2] ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, kEnd, -1]);

/** The bias of one chunk over its keys: the given bias's rows, with the causal mask when the chunks build it. */
export function chunkBias(bias: tf.Tensor4D | undefined, c: Chunks, start: number, n: number): tf.Tensor4D | undefined {
  const rowsBias = biasRows(bias, start, n);
  if (c.causalOffset === undefined) return rowsBias;
  const kEnd = keyEnd(c, start, n);
  const cols = rowsBias && kEnd < c.s.tk ? tf.slice(rowsBias, [0, 0, 0, 0], [-1, -1, -1, kEnd]) : rowsBias;
  // Its rows sit at key positions kEnd − n … kEnd − 1, as withCausal places T queries among S keys.
  return withCausal(cols as tf.Tensor4D | undefined, n, kEnd);
}

/** Query rows per chunk so that one [B, heads, rows, Tk] float32 block stays under `chunkBytes`. */
export function attentionRowsPerChunk(b: number, heads: number, tk: number, chunkBytes: number): number {
  return Math.max(1, Math.floor(chunkBytes / (b * heads * tk * 4)));
}

/** [B, nh, n, X] ↔ [B, nkv, rep·n, X]: the query heads of one kv head stacked along rows. */
export const grouped = (x: tf.Tensor, s: AttentionShapes, n: number): tf.Tensor4D =>
  tf.reshape(x, [s.b, s.nkv, s.rep * n, x.shape[3]!]);
export const ungrouped = (x: tf.Tensor, s: AttentionShapes, n: number): tf.Tensor4D =>
  tf.reshape(x, [s.b, s.nh, n, x.shape[3]!]);

/** Rows [start, start + n) along axis 2 (the whole tensor when that is all of it: no copy). */
export const rowsOf = <T extends tf.Tensor>(x: T, start: number, n: number): T =>
  start === 0 && n === x.shape[2] ? x : tf.slice(x, [0, 0, start, 0], [-1, -1, n, -1]);

/** The bias rows of one query chunk (a padding bias has one row for all queries). */
export const biasRows = (bias: tf.Tensor4D | undefined, start: number, n: number): tf.Tensor4D | undefined =>
  bias && bias.shape[2] !== 1 ? rowsOf(bias, start, n) : bias;

/** Scaled, biased scores of one query chunk, [B, nkv, rep·n, Tk]. */
export function scores(
  qc: tf.Tensor4D,
  k: tf.Tensor4D,
  biasC: tf.Tensor4D | undefined,
  s: AttentionShapes,
  n: number,
): tf.Tensor4D {
  const raw = tf.mul(attentionMatMul(grouped(qc, s, n), k, false, true), 1 / Math.sqrt(s.d));
  return biasC ? grouped(tf.add(ungrouped(raw, s, n), biasC), s, n) : (raw as tf.Tensor4D);
}

/** First row of each chunk of `rows` rows. */
export function chunkStarts(t: number, rows: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < t; s += rows) out.push(s);
  return out;
}

/** Chunks concatenated along rows (one chunk: itself). */
export const catRows = (xs: tf.Tensor4D[]): tf.Tensor4D =>
  xs.length === 1 ? xs[0]! : (tf.concat(xs, 2) as tf.Tensor4D);
