/**
 * BERTScore of (candidate, reference) pairs, equal to bert_score 0.3.12's `score(cands, refs,
 * idf=False)` (what HF `evaluate`'s bertscore runs): sentences encoded once each (duplicates
 * share an embedding), pairs scored in bert_score's batches of `batchSize` consecutive pairs.
 */
import type { BertSentenceEncoder } from './bert-sentence-encoder.js';
import { type BertScoreValue, greedyCosineBatch, type WeightedSentence } from './bertscore-greedy.js';

/** Options of {@link computeBertScore}. */
export interface ComputeBertScoreOptions {
  /** Pairs per greedy-matching batch (bert_score's `batch_size`, default 64): see greedyCosineBatch on padding. */
  readonly batchSize?: number;
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
    out.push(...greedyCosineBatch(c, r));
  }
  return out;
}
