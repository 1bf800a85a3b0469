/**
 * BERTScore's greedy cosine matching, exactly as bert_score 0.3.12's `greedy_cos_idf` computes it
 * over one batch of (candidate, reference) pairs. Pure math on float arrays (no tensor library).
 *
 * Details that decide the numbers (bert_score/utils.py):
 * - embeddings are L2-normalized per token; the similarity matrix includes [CLS] and [SEP];
 * - the matrix is multiplied by the pair's padding masks, so a padded position offers a
 *   similarity of 0 to the max: a token of a candidate whose batch pads its reference (or the
 *   other way round) never scores below 0 — we reproduce that per batch;
 * - weights are the idf weights normalized to sum 1 ([CLS]/[SEP] weigh 0, with idf off every
 *   other token weighs 1): P = Σ w_cand · max over reference, R = Σ w_ref · max over candidate;
 * - F = 2PR / (P + R); a sentence of length 2 ([CLS][SEP], i.e. empty) sets P and R to 0, and a
 *   NaN F (0/0, or the 0/0 of an empty sentence's weights) becomes 0.
 */

/** One sentence's token embeddings (row-major `length` × `dim`), [CLS]/[SEP] included. */
export interface TokenEmbeddings {
  readonly data: Float32Array;
  readonly length: number;
  readonly dim: number;
}

/** BERTScore of one pair. */
export interface BertScoreValue {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Cosine similarities of every candidate token (rows) with every reference token (columns),
 * row-major `candidate.length × reference.length`.
 */
export type CosineSimilarity = (candidate: TokenEmbeddings, reference: TokenEmbeddings) => ArrayLike<number>;

/** One side of a pair: embeddings and the per-token weights (same length). */
export interface WeightedSentence {
  readonly embeddings: TokenEmbeddings;
  readonly weights: readonly number[];
}

function normalizedRows(e: TokenEmbeddings): Float64Array {
  const out = new Float64Array(e.length * e.dim);
  for (let t = 0; t < e.length; t++) {
    let ss = 0;
    for (let k = 0; k < e.dim; k++) ss += e.data[t * e.dim + k]! ** 2;
    const n = Math.sqrt(ss);
    for (let k = 0; k < e.dim; k++) out[t * e.dim + k] = e.data[t * e.dim + k]! / n;
  }
  return out;
}

/** The plain-JS {@link CosineSimilarity} (float64). */
export function cosineSimilarity(candidate: TokenEmbeddings, reference: TokenEmbeddings): Float64Array {
  if (candidate.dim !== reference.dim)
    throw new RangeError(`embedding sizes differ: ${candidate.dim} vs ${reference.dim}`);
  const c = normalizedRows(candidate);
  const r = normalizedRows(reference);
  const d = candidate.dim;
  const out = new Float64Array(candidate.length * reference.length);
  for (let a = 0; a < candidate.length; a++) {
    for (let b = 0; b < reference.length; b++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += c[a * d + k]! * r[b * d + k]!;
      out[a * reference.length + b] = dot;
    }
  }
  return out;
}

function weightedMean(values: Float64Array, weights: readonly number[]): number {
  let sw = 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    sw += weights[i]!;
    s += values[i]! * weights[i]!;
  }
  // All weights 0 (an empty sentence): bert_score's idf normalization gives NaN here.
  return sw === 0 ? NaN : s / sw;
}

/**
 * Score a batch of pairs as bert_score does when they form one of its batches (`batch_size`
 * consecutive pairs). `candidates[i]` is matched with `references[i]`.
 */
export function greedyCosineBatch(
  candidates: readonly WeightedSentence[],
  references: readonly WeightedSentence[],
  similarity: CosineSimilarity = cosineSimilarity,
): BertScoreValue[] {
  if (candidates.length !== references.length)
    throw new RangeError(`${candidates.length} candidates for ${references.length} references`);
  const candMax = Math.max(0, ...candidates.map((c) => c.embeddings.length));
  const refMax = Math.max(0, ...references.map((r) => r.embeddings.length));
  return candidates.map((cand, i) => {
    const ref = references[i]!;
    const ce = cand.embeddings;
    const re = ref.embeddings;
    if (ce.dim !== re.dim) throw new RangeError(`embedding sizes differ: ${ce.dim} vs ${re.dim}`);
    if (cand.weights.length !== ce.length || ref.weights.length !== re.length)
      throw new RangeError('weights and embeddings differ in length');
    const sim = similarity(ce, re);
    // Masked (padded) positions offer 0 to every max, as the masked similarity matrix does.
    const wordPrecision = new Float64Array(ce.length).fill(re.length < refMax ? 0 : -Infinity);
    const wordRecall = new Float64Array(re.length).fill(ce.length < candMax ? 0 : -Infinity);
    for (let a = 0; a < ce.length; a++) {
      for (let b = 0; b < re.length; b++) {
        const v = sim[a * re.length + b]!;
        if (v > wordPrecision[a]!) wordPrecision[a] = v;
        if (v > wordRecall[b]!) wordRecall[b] = v;
      }
    }
    let precision = weightedMean(wordPrecision, cand.weights);
    let recall = weightedMean(wordRecall, ref.weights);
    let f1 = (2 * precision * recall) / (precision + recall);
    if (ce.length === 2 || re.length === 2) {
      precision = 0;
      recall = 0;
    }
    if (Number.isNaN(f1)) f1 = 0;
    return { precision, recall, f1 };
  });
}
