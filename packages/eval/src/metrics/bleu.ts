/**
 * Corpus BLEU-1..n with pycocoevalcap semantics (bleu_scorer.py, `option='closest'`): clipped
 * n-gram matches and guesses summed over the corpus, the effective reference length of each
 * sample is its closest reference length (the shorter on ties), smoothing with tiny = 1e-15 on
 * counts and small = 1e-9 on denominators, brevity penalty exp(1 - 1/ratio) when ratio < 1.
 * Per-sample BLEU uses the same formula on the sample's own counts.
 */
import { type Tokenizer, whitespaceTokenize } from '../tokenize/whitespace-tokenize.js';
import { type SampleReferences, checkCorpus } from './corpus-input.js';
import { ngramCounts, ngramOrder } from './ngram-counts.js';

const TINY = 1e-15;
const SMALL = 1e-9;

/** Options of {@link corpusBleu}. */
export interface BleuOptions {
  /** Highest n-gram order (default 4). */
  readonly n?: number;
  /** Tokenizer of both sides (default whitespace). */
  readonly tokenize?: Tokenizer;
}

/** BLEU-1..n of the corpus and of each sample. */
export interface BleuResult {
  /** `bleu[k]` = corpus BLEU-(k+1). */
  readonly bleu: readonly number[];
  /** `perSample[k][i]` = BLEU-(k+1) of sample i. */
  readonly perSample: readonly (readonly number[])[];
  /** Total hypothesis length and effective reference length. */
  readonly testLength: number;
  readonly refLength: number;
}

interface Comps {
  readonly testlen: number;
  readonly reflen: number;
  readonly guess: number[];
  readonly correct: number[];
}

function closestRefLength(refLengths: readonly number[], testlen: number): number {
  let best = refLengths[0] as number;
  for (const l of refLengths) {
    const d = Math.abs(l - testlen);
    const bd = Math.abs(best - testlen);
    if (d < bd || (d === bd && l < best)) best = l;
  }
  return best;
}

function cook(test: readonly string[], refs: readonly (readonly string[])[], n: number): Comps {
  const maxCounts = new Map<string, number>();
  for (const ref of refs)
    for (const [g, c] of ngramCounts(ref, n)) maxCounts.set(g, Math.max(maxCounts.get(g) ?? 0, c));
  const correct = new Array<number>(n).fill(0);
  for (const [g, c] of ngramCounts(test, n)) {
    const k = ngramOrder(g) - 1;
    correct[k] = (correct[k] as number) + Math.min(maxCounts.get(g) ?? 0, c);
  }
  const guess = Array.from({ length: n }, (_, k) => Math.max(0, test.length - k));
  return {
    testlen: test.length,
    reflen: closestRefLength(
      refs.map((r) => r.length),
      test.length,
    ),
    guess,
    correct,
  };
}

function bleuOf(correct: readonly number[], guess: readonly number[], testlen: number, reflen: number): number[] {
  const out: number[] = [];
  let bleu = 1;
  for (let k = 0; k < correct.length; k++) {
    bleu *= ((correct[k] as number) + TINY) / ((guess[k] as number) + SMALL);
    out.push(bleu ** (1 / (k + 1)));
  }
  const ratio = (testlen + TINY) / (reflen + SMALL);
  if (ratio < 1) for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) * Math.exp(1 - 1 / ratio);
  return out;
}

/** pycocoevalcap `Bleu(n).compute_score` on `predictions` vs `references`. */
export function corpusBleu(
  predictions: readonly string[],
  references: readonly SampleReferences[],
  options: BleuOptions = {},
): BleuResult {
  const n = options.n ?? 4;
  const tokenize = options.tokenize ?? whitespaceTokenize;
  const refs = checkCorpus('bleu', predictions, references);
  const comps = predictions.map((p, i) => cook(tokenize(p), (refs[i] as string[]).map(tokenize), n));
  const total = { testlen: 0, reflen: 0, guess: new Array<number>(n).fill(0), correct: new Array<number>(n).fill(0) };
  const perSample: number[][] = Array.from({ length: n }, () => []);
  for (const c of comps) {
    total.testlen += c.testlen;
    total.reflen += c.reflen;
    for (let k = 0; k < n; k++) {
      total.guess[k] = (total.guess[k] as number) + (c.guess[k] as number);
      total.correct[k] = (total.correct[k] as number) + (c.correct[k] as number);
    }
    bleuOf(c.correct, c.guess, c.testlen, c.reflen).forEach((b, k) => perSample[k]?.push(b));
  }
  return {
    bleu: bleuOf(total.correct, total.guess, total.testlen, total.reflen),
    perSample,
    testLength: total.testlen,
    refLength: total.reflen,
  };
}
