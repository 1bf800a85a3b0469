/**
 * ROUGE-L with pycocoevalcap semantics (rouge.py): LCS between the candidate and each reference,
 * the best precision and the best recall over references (taken separately), then
 * F = (1+β²)·P·R / (R + β²·P) with β = 1.2; the corpus score is the mean over samples.
 */
import { type Tokenizer, whitespaceTokenize } from '../tokenize/whitespace-tokenize.js';
import { type SampleReferences, checkCorpus } from './corpus-input.js';
import { numpyMean } from './numpy-mean.js';

/** Options of {@link corpusRougeL}. */
export interface RougeLOptions {
  /** Recall weight (default 1.2, pycocoevalcap's). */
  readonly beta?: number;
  /** Tokenizer of both sides (default whitespace). */
  readonly tokenize?: Tokenizer;
}

/** Length of the longest common subsequence of two token lists. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  let prev = new Array<number>(short.length + 1).fill(0);
  for (let i = 1; i <= long.length; i++) {
    const cur = new Array<number>(short.length + 1).fill(0);
    for (let j = 1; j <= short.length; j++) {
      cur[j] =
        long[i - 1] === short[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, cur[j - 1] as number);
    }
    prev = cur;
  }
  return prev[short.length] as number;
}

/** ROUGE-L of one tokenized candidate against its tokenized references (0 if either side is empty). */
export function rougeL(candidate: readonly string[], references: readonly (readonly string[])[], beta = 1.2): number {
  let precMax = 0;
  let recMax = 0;
  for (const ref of references) {
    const lcs = lcsLength(ref, candidate);
    // pycocoevalcap splits with split(" "), so an empty caption is [""]: LCS 0, score 0.
    if (candidate.length > 0) precMax = Math.max(precMax, lcs / candidate.length);
    if (ref.length > 0) recMax = Math.max(recMax, lcs / ref.length);
  }
  if (precMax === 0 || recMax === 0) return 0;
  return ((1 + beta ** 2) * precMax * recMax) / (recMax + beta ** 2 * precMax);
}

/** pycocoevalcap `Rouge().compute_score`: mean ROUGE-L and per-sample scores. */
export function corpusRougeL(
  predictions: readonly string[],
  references: readonly SampleReferences[],
  options: RougeLOptions = {},
): { readonly rougeL: number; readonly scores: readonly number[] } {
  const tokenize = options.tokenize ?? whitespaceTokenize;
  const refs = checkCorpus('rouge-l', predictions, references);
  const scores = predictions.map((p, i) =>
    rougeL(
      tokenize(p),
      (refs[i] as string[]).map((r) => tokenize(r)),
      options.beta,
    ),
  );
  return { rougeL: numpyMean(scores), scores };
}
