/**
 * The score blocks `attention` works in: query chunks of rows [B, heads, rows, Tk], with the
 * query heads of one kv head stacked along rows so grouped-query attention never repeats K/V.
 */
import * as tf from '@tensorflow/tfjs-core';
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
