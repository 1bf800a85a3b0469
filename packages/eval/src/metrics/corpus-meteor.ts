/**
 * Corpus METEOR exactly as HF `evaluate`'s meteor computes it with nltk 3.10.3: both sides go
 * through nltk's `word_tokenize`, each pair gets `single_meteor_score(ref, pred)` (or the best of
 * `meteor_score` over several references), and the corpus score is numpy's mean of them.
 */
import { MetricInputError } from '../errors.js';
import { nltkWordTokenize } from '../tokenize/nltk-word-tokenize.js';
import type { PunktParameters } from '../tokenize/punkt-parameters.js';
import { type MeteorOptions, meteorScore } from './meteor.js';
import { numpyMean } from './numpy-mean.js';

/** Options of {@link corpusMeteor}: METEOR's plus the tokenizer. */
export interface CorpusMeteorOptions extends MeteorOptions {
  /** Tokenizer of both sides (default nltk's `word_tokenize`). */
  readonly tokenize?: (text: string) => readonly string[];
  /** Punkt parameters for the default tokenizer. */
  readonly punkt?: PunktParameters;
}

/** Per-pair METEOR and their mean. */
export interface CorpusMeteorResult {
  /** numpy mean of `scores` (NaN for an empty corpus, as numpy gives). */
  readonly meteor: number;
  readonly scores: readonly number[];
}

/** METEOR of `predictions` against `references` (one string, or several, per prediction). */
export function corpusMeteor(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: CorpusMeteorOptions = {},
): CorpusMeteorResult {
  if (predictions.length !== references.length) {
    throw new MetricInputError('predictions and references differ in length', {
      metric: 'meteor',
      predictions: predictions.length,
      references: references.length,
    });
  }
  const punkt = options.punkt;
  const tokenize = options.tokenize ?? ((t: string) => nltkWordTokenize(t, punkt ? { punkt } : {}));
  const scores = predictions.map((pred, i) => {
    const ref = references[i] as string | readonly string[];
    const refs = typeof ref === 'string' ? [ref] : ref;
    return meteorScore(
      refs.map((r) => tokenize(r)),
      tokenize(pred),
      options,
    );
  });
  return { meteor: numpyMean(scores), scores };
}
