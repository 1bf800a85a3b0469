/**
 * The aggregate as one flat record of numbers with snake_case keys: what metrics.json holds and
 * the run report reads (`meteor`, `bleu_1`..`bleu_4`, `rouge_l`, `cider_d`, `bertscore_f1`,
 * `siglip`, `distinct_1`, `eos_rate`, ...).
 */
import type { EvalAggregate } from '../stream/eval-events.js';

/** Flatten `aggregate` (non-finite values are left out, JSON cannot hold them). */
export function flattenAggregate(aggregate: EvalAggregate): Record<string, number> {
  const out: Record<string, number> = { count: aggregate.count, empty_predictions: aggregate.emptyPredictions };
  if (aggregate.eosRate !== undefined) out.eos_rate = aggregate.eosRate;
  const p = aggregate.pure;
  if (p.meteor !== undefined) out.meteor = p.meteor;
  p.bleu?.forEach((b, i) => (out[`bleu_${i + 1}`] = b));
  if (p.rougeL !== undefined) out.rouge_l = p.rougeL;
  if (p.ciderD !== undefined) out.cider_d = p.ciderD;
  Object.assign(out, aggregate.model);
  const d = p.diversity;
  if (d) {
    Object.assign(out, {
      unique_ratio: d.uniqueRatio,
      mode_collapse: d.modeCollapse ? 1 : 0,
      distinct_1: d.distinct1,
      distinct_2: d.distinct2,
      repetition: d.repetition,
      length_tokens_mean: d.lengthTokens.mean,
      length_chars_mean: d.lengthChars.mean,
    });
  }
  for (const [k, v] of Object.entries(out)) if (!Number.isFinite(v)) delete out[k];
  return out;
}
