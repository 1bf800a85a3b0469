/**
 * CIDEr-D with pycocoevalcap semantics (cider_scorer.py, vrama91's version): TF-IDF vectors of
 * 1..4-grams with document frequency counted over the references of the corpus (an n-gram counts
 * once per sample), idf = log(#samples) - log(max(1, df)); per order, the hypothesis vector is
 * clipped by the reference (min(h, r)·r), divided by the norms, times a Gaussian length penalty
 * exp(-δ²/2σ²) with σ = 6; mean over orders, mean over references, ×10.
 * The score therefore depends on the whole corpus, and a corpus of one sample scores 0 (idf 0).
 */
import { type Tokenizer, whitespaceTokenize } from '../tokenize/whitespace-tokenize.js';
import { type SampleReferences, checkCorpus } from './corpus-input.js';
import { type NgramCounts, ngramCounts, ngramOrder } from './ngram-counts.js';
import { numpyMean } from './numpy-mean.js';

/** Options of {@link corpusCiderD}. */
export interface CiderDOptions {
  readonly n?: number;
  readonly sigma?: number;
  readonly tokenize?: Tokenizer;
}

interface Vec {
  readonly vec: Map<string, number>[];
  readonly norm: number[];
  readonly length: number;
}

/** pycocoevalcap `Cider().compute_score`: mean CIDEr-D and per-sample scores. */
export function corpusCiderD(
  predictions: readonly string[],
  references: readonly SampleReferences[],
  options: CiderDOptions = {},
): { readonly ciderD: number; readonly scores: readonly number[] } {
  const n = options.n ?? 4;
  const sigma = options.sigma ?? 6;
  const tokenize = options.tokenize ?? whitespaceTokenize;
  const refs = checkCorpus('cider-d', predictions, references);
  const ctest = predictions.map((p) => ngramCounts(tokenize(p), n));
  const crefs = refs.map((rs) => rs.map((r) => ngramCounts(tokenize(r), n)));

  const df = new Map<string, number>();
  for (const sample of crefs) {
    const seen = new Set<string>();
    for (const counts of sample) for (const g of counts.keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const refLen = Math.log(crefs.length);

  const toVec = (counts: NgramCounts): Vec => {
    const vec = Array.from({ length: n }, () => new Map<string, number>());
    const norm = new Array<number>(n).fill(0);
    let length = 0;
    for (const [g, tf] of counts) {
      const k = ngramOrder(g) - 1;
      const v = tf * (refLen - Math.log(Math.max(1, df.get(g) ?? 0)));
      vec[k]?.set(g, v);
      norm[k] = (norm[k] as number) + v ** 2;
      // pycocoevalcap's quirk: `if n == 1` tests the 0-based order, so "length" counts bigrams.
      if (k === 1) length += tf;
    }
    return { vec, norm: norm.map(Math.sqrt), length };
  };

  const sim = (hyp: Vec, ref: Vec): number[] => {
    const delta = hyp.length - ref.length;
    return hyp.vec.map((hv, k) => {
      const rv = ref.vec[k] as Map<string, number>;
      let val = 0;
      for (const [g, h] of hv) {
        const r = rv.get(g) ?? 0;
        val += Math.min(h, r) * r;
      }
      const nh = hyp.norm[k] as number;
      const nr = ref.norm[k] as number;
      if (nh !== 0 && nr !== 0) val /= nh * nr;
      return val * Math.E ** (-(delta ** 2) / (2 * sigma ** 2));
    });
  };

  const scores = ctest.map((test, i) => {
    const hyp = toVec(test);
    const sampleRefs = crefs[i] as NgramCounts[];
    const score = new Array<number>(n).fill(0);
    for (const r of sampleRefs) sim(hyp, toVec(r)).forEach((v, k) => (score[k] = (score[k] as number) + v));
    return (numpyMean(score) / sampleRefs.length) * 10;
  });
  return { ciderD: numpyMean(scores), scores };
}
