/**
 * The aggregate as one flat record of numbers with the metric registry's keys: what metrics.json
 * holds, the trainer logs and the run report reads (`meteor`, `bleu_1`..`bleu_4`, `rouge_l`,
 * `cider_d`, `bertscore_f1`, `siglip`, `distinct_1`, `eos_rate`, ...), in the registry's order.
 */
import { METRICS, sortMetrics } from '../metrics/metric-registry.js';
import type { EvalAggregate } from '../stream/eval-events.js';

/** Flatten `aggregate` (non-finite values are left out, JSON cannot hold them). */
export function flattenAggregate(aggregate: EvalAggregate): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of METRICS) {
    const v = m.value?.(aggregate);
    if (v !== undefined) out[m.key] = v;
  }
  // Scorers report flat keys already (`bertscore_f1`, `siglip`, or a custom scorer's own).
  Object.assign(out, aggregate.model);
  return Object.fromEntries(
    sortMetrics(Object.keys(out)).flatMap((k) => (Number.isFinite(out[k]) ? [[k, out[k]!]] : [])),
  );
}
