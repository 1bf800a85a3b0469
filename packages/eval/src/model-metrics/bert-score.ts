/**
 * BERTScore of (candidate, reference) pairs, equal to bert_score 0.3.12's `score(cands, refs,
 * idf=False)` (what HF `evaluate`'s bertscore runs): sentences encoded once each (duplicates
 * share an embedding), pairs scored in bert_score's batches of `batchSize` consecutive pairs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertSentenceEncoder } from './bert-sentence-encoder.js';
import {
  type BertScoreValue,
  type TokenEmbeddings,
  greedyCosineBatch,
  type WeightedSentence,
} from './bertscore-greedy.js';

/**
 * Cosine similarities on the tensor backend (float32 matmul): with 768-wide embeddings of
 * caption-length sentences the JS loop would cost more than the BERT forward on a GPU.
 */
export const tensorCosineSimilarity = async (c: TokenEmbeddings, r: TokenEmbeddings): Promise<Float32Array> => {
  const sim = tf.tidy(() => {
    const unit = (e: TokenEmbeddings) => {
      const x = tf.tensor2d(e.data, [e.length, e.dim]);
      return tf.div(x, tf.norm(x, 'euclidean', -1, true));
    };
    return tf.matMul(unit(c), unit(r), false, true);
  });
  // Read asynchronously: webgpu in Node has no synchronous read.
  const values = (await sim.data()) as Float32Array;
  sim.dispose();
  return values;
};

/** Options of {@link computeBertScore}. */
export interface ComputeBertScoreOptions {
  /** Pairs per greedy-matching batch (bert_score's `batch_size`, default 64): see greedyCosineBatch on padding. */
  readonly batchSize?: number;
  /** How similarities are computed (default on the tensor backend). */
  readonly similarity?: (c: TokenEmbeddings, r: TokenEmbeddings) => ArrayLike<number> | Promise<ArrayLike<number>>;
}

/** P, R, F of every pair, in order. */
export async function computeBertScore(
  encoder: Pick<BertSentenceEncoder, 'encode' | 'weights' | 'embed'>,
  candidates: readonly string[],
  references: readonly string[],
  options: ComputeBertScoreOptions = {},
): Promise<BertScoreValue[]> {
  if (candidates.length !== references.length)
    throw new RangeError(`${candidates.length} candidates for ${references.length} references`);
  const unique = [...new Set([...candidates, ...references])];
  const ids = unique.map((s) => encoder.encode(s));
  const embeddings = await encoder.embed(ids);
  const bySentence = new Map<string, WeightedSentence>(
    unique.map((s, i) => [s, { embeddings: embeddings[i]!, weights: encoder.weights(ids[i]!) }]),
  );
  const batch = options.batchSize ?? 64;
  const out: BertScoreValue[] = [];
  for (let s = 0; s < candidates.length; s += batch) {
    const c = candidates.slice(s, s + batch).map((x) => bySentence.get(x)!);
    const r = references.slice(s, s + batch).map((x) => bySentence.get(x)!);
    // Similarities first (asynchronous on a GPU), then the greedy match, which asks for pair i's
    // matrix exactly once, in pair order.
    const similarity = options.similarity ?? tensorCosineSimilarity;
    const sims = await Promise.all(c.map((x, i) => similarity(x.embeddings, r[i]!.embeddings)));
    let pair = 0;
    out.push(...greedyCosineBatch(c, r, () => sims[pair++]!));
  }
  return out;
}
