/**
 * BERTScore of (candidate, reference) pairs, equal to bert_score 0.3.12's `score(cands, refs,
 * idf=False)` (what HF `evaluate`'s bertscore runs): sentences encoded once each (duplicates
 * share an embedding), pairs scored in bert_score's batches of `batchSize` consecutive pairs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertSentenceEncoder } from './bert-sentence-encoder.js';
import { type BertScoreValue, type CosineSimilarity, type TokenEmbeddings, greedyCosineBatch, type WeightedSentence } from './bertscore-greedy.js';

/**
 * Cosine similarities on the tensor backend (float32 matmul): with 768-wide embeddings of
 * caption-length sentences the JS loop would cost more than the BERT forward on a GPU.
 */
export const tensorCosineSimilarity: CosineSimilarity = (c: TokenEmbeddings, r: TokenEmbeddings) => {
  const sim = tf.tidy(() => {
    const unit = (e: TokenEmbeddings) => {
      const x = tf.tensor2d(e.data, [e.length, e.dim]);
      return tf.div(x, tf.norm(x, 'euclidean', -1, true));
    };
    return tf.matMul(unit(c), unit(r), false, true);
  });
  const values = sim.dataSync();
  sim.dispose();
  return values;
};

/** Options of {@link computeBertScore}. */
export interface ComputeBertScoreOptions {
  /** Pairs per greedy-matching batch (bert_score's `batch_size`, default 64): see greedyCosineBatch on padding. */
  readonly batchSize?: number;
  /** How similarities are computed (default on the tensor backend). */
  readonly similarity?: CosineSimilarity;
}

/** P, R, F of every pair, in order. */
export function computeBertScore(
  encoder: Pick<BertSentenceEncoder, 'encode' | 'weights' | 'embed'>,
  candidates: readonly string[],
  references: readonly string[],
  options: ComputeBertScoreOptions = {},
): BertScoreValue[] {
  if (candidates.length !== references.length) throw new RangeError(`${candidates.length} candidates for ${references.length} references`);
  const unique = [...new Set([...candidates, ...references])];
  const ids = unique.map((s) => encoder.encode(s));
  const embeddings = encoder.embed(ids);
  const bySentence = new Map<string, WeightedSentence>(unique.map((s, i) => [s, { embeddings: embeddings[i]!, weights: encoder.weights(ids[i]!) }]));
  const batch = options.batchSize ?? 64;
  const out: BertScoreValue[] = [];
  for (let s = 0; s < candidates.length; s += batch) {
    const c = candidates.slice(s, s + batch).map((x) => bySentence.get(x)!);
    const r = references.slice(s, s + batch).map((x) => bySentence.get(x)!);
    out.push(...greedyCosineBatch(c, r, options.similarity ?? tensorCosineSimilarity));
  }
  return out;
}
