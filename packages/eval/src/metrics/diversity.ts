/**
 * Diversity and length statistics of generated captions: the seed's unique-caption ratio (with a
 * mode-collapse flag), distinct-1/2, empty captions, token/char length stats, a within-caption
 * repetition score and the rate of generations that reached EOS.
 */
import { MetricInputError } from '../errors.js';
import { type Tokenizer, whitespaceTokenize } from '../tokenize/whitespace-tokenize.js';

/** Below this unique-caption ratio the model is flagged as collapsing onto few captions. */
export const MODE_COLLAPSE_THRESHOLD = 0.5;

/** mean / min / max / median of a list (all 0 for an empty list). */
export interface LengthStats {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly median: number;
}

/** What {@link diversityStats} reports. */
export interface DiversityStats {
  readonly count: number;
  /** Distinct caption strings / captions (the seed's "diversity"). */
  readonly uniqueRatio: number;
  /** True when `uniqueRatio` < {@link MODE_COLLAPSE_THRESHOLD}. */
  readonly modeCollapse: boolean;
  /** Distinct unigrams / unigrams over the corpus (0 if there are none). */
  readonly distinct1: number;
  /** Distinct bigrams / bigrams over the corpus (0 if there are none). */
  readonly distinct2: number;
  /** Captions that are empty after trimming whitespace. */
  readonly emptyCount: number;
  readonly lengthTokens: LengthStats;
  /** Length in Unicode code points. */
  readonly lengthChars: LengthStats;
  /**
   * Mean over non-empty captions of 1 - distinct tokens / tokens: 0 when no token repeats within
   * a caption, approaching 1 for "a a a a ..." loops (the seed's repetition check).
   */
  readonly repetition: number;
  /** Fraction of samples whose generation stopped at EOS; undefined when no sample says. */
  readonly eosRate: number | undefined;
}

/** Options of {@link diversityStats}. */
export interface DiversityOptions {
  readonly tokenize?: Tokenizer;
  /** Per-sample "generation reached EOS" flags, aligned with the captions. */
  readonly eosReached?: readonly (boolean | undefined)[];
}

/** mean/min/max/median of `values` (numpy's median: mean of the two middle values when even). */
export function lengthStats(values: readonly number[]): LengthStats {
  if (values.length === 0) return { mean: 0, min: 0, max: 0, median: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, median };
}

const distinct = (grams: readonly string[]) => (grams.length === 0 ? 0 : new Set(grams).size / grams.length);

/** Diversity statistics of `captions`. */
export function diversityStats(captions: readonly string[], options: DiversityOptions = {}): DiversityStats {
  const tokenize = options.tokenize ?? whitespaceTokenize;
  const eos = options.eosReached;
  if (eos && eos.length !== captions.length) {
    throw new MetricInputError('eosReached and captions differ in length', {
      metric: 'diversity',
      captions: captions.length,
      eosReached: eos.length,
    });
  }
  const tokens = captions.map((c) => tokenize(c));
  const unigrams = tokens.flat();
  // Bigram keys joined with U+0000 so tokens containing spaces cannot collide.
  const bigrams = tokens.flatMap((t) => t.slice(1).map((w, i) => `${t[i]}\u0000${w}`));
  const nonEmpty = tokens.filter((t) => t.length > 0);
  const repetition =
    nonEmpty.length === 0
      ? 0
      : nonEmpty.reduce((acc, t) => acc + (1 - new Set(t).size / t.length), 0) / nonEmpty.length;
  const uniqueRatio = captions.length === 0 ? 0 : new Set(captions).size / captions.length;
  const eosKnown = (eos ?? []).filter((e): e is boolean => e !== undefined);
  return {
    count: captions.length,
    uniqueRatio,
    modeCollapse: captions.length > 0 && uniqueRatio < MODE_COLLAPSE_THRESHOLD,
    distinct1: distinct(unigrams),
    distinct2: distinct(bigrams),
    emptyCount: captions.filter((c) => c.trim() === '').length,
    lengthTokens: lengthStats(tokens.map((t) => t.length)),
    lengthChars: lengthStats(captions.map((c) => Array.from(c).length)),
    repetition,
    eosRate: eosKnown.length === 0 ? undefined : eosKnown.filter(Boolean).length / eosKnown.length,
  };
}
