/**
 * The names a run config may use for metrics all go through the metric registry: every
 * `train.bestMetric` choice resolves to the key the evaluation writes (no identity branches, and
 * `cider` is CIDEr-D's `cider_d`), with the direction the registry gives; every `eval.metrics`
 * choice selects something to compute. A choice added to the config but not to the registry
 * fails here instead of silently never matching.
 */
import { describe, expect, it } from 'vitest';
import { findMetric, metricFamilies } from '@kvc/eval';
import { runConfigSchema } from '../config/run-config.js';
import { pureMetricsOf } from './score-captions.js';
import { bestMetricOf, formatMetrics } from './train-pipeline.js';

interface Wrapped {
  unwrap(): { shape: Record<string, { unwrap(): { options?: string[]; element?: { options: string[] } } }> };
}
const section = (name: string) => (runConfigSchema.shape as unknown as Record<string, Wrapped>)[name]!.unwrap().shape;
const BEST_CHOICES = section('train').bestMetric!.unwrap().options!;
const EVAL_CHOICES = section('eval').metrics!.unwrap().element!.options;

describe('metric names of the run config', () => {
  it('resolves every train.bestMetric choice to a canonical key and a direction', () => {
    expect(BEST_CHOICES.length).toBeGreaterThan(3);
    for (const name of BEST_CHOICES) {
      const { bestMetric, bestMode } = bestMetricOf(name);
      if (name === 'loss') {
        expect(bestMode).toBe('min');
        continue;
      }
      const spec = findMetric(bestMetric)!;
      expect(spec.key, name).toBe(bestMetric);
      expect(bestMode).toBe(spec.better === 'lower' ? 'min' : 'max');
    }
    expect(bestMetricOf('cider').bestMetric).toBe('cider_d');
  });

  it('has every eval.metrics choice compute a family, and always computes diversity', () => {
    expect(metricFamilies(EVAL_CHOICES).unknown).toEqual([]);
    expect(pureMetricsOf(['meteor', 'cider'])).toEqual(['meteor', 'cider-d', 'diversity']);
  });

  it('summarizes with canonical keys, CIDEr-D included', () => {
    const line = formatMetrics({ meteor: 0.5, cider_d: 0.25, count: 4, eos_rate: 1 });
    expect(line).toBe('meteor 0.500  cider_d 0.250  eos_rate 1.000');
  });
});
