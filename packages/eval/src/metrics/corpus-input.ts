/**
 * Validation of the (predictions, references) input all corpus metrics take: one prediction and
 * at least one reference per sample, pycocoevalcap's asserts as typed errors.
 */
import { MetricInputError } from '../errors.js';

/** References of one sample: one caption or several. */
export type SampleReferences = string | readonly string[];

/** Normalize references to arrays and check the corpus shape. */
export function checkCorpus(
  metric: string,
  predictions: readonly string[],
  references: readonly SampleReferences[],
): string[][] {
  if (predictions.length !== references.length) {
    throw new MetricInputError('predictions and references differ in length', {
      metric,
      predictions: predictions.length,
      references: references.length,
    });
  }
  return references.map((r, i) => {
    const refs = typeof r === 'string' ? [r] : [...r];
    if (refs.length === 0)
      throw new MetricInputError(
        'a sample has no reference',
        { metric, sample: i },
        'give every prediction at least one reference',
      );
    return refs;
  });
}
