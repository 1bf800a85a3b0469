/**
 * The metric registry is the one table of names: every key an evaluation really writes is in it
 * (so the trainer logs it and the report labels it), names never clash, the names `--metrics`
 * offers compute every family exactly once, and legacy keys (`cider`) read as canonical ones.
 */
import { lastValueFrom, from, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { flattenAggregate } from '../predictions/flatten-aggregate.js';
import type { MetricsEvent } from '../stream/eval-events.js';
import { evaluateCaptions } from '../stream/evaluate-captions.js';
import { PURE_METRIC_NAMES } from './compute-pure-metrics.js';
import { formatMetric } from './format-metric.js';
import {
  METRICS,
  METRIC_CHOICES,
  TRAINING_LOG_METRICS,
  canonicalMetrics,
  findMetric,
  metricFamilies,
  metricSpec,
  sortMetrics,
} from './metric-registry.js';

const records = [
  '빨간 공이 왼쪽으로 굴러간다',
  '파란 상자가 오른쪽으로 움직인다',
  '빨간 공이 왼쪽으로 굴러간다',
  '',
].map((prediction, i) => ({
  id: `v${i}`,
  prediction,
  reference: '빨간 공이 오른쪽으로 굴러간다',
  eosReached: i !== 1,
}));

async function evaluateAll(): Promise<MetricsEvent> {
  const events = from(records).pipe(
    evaluateCaptions({ pureMetrics: PURE_METRIC_NAMES }),
    filter((e) => e.type === 'metrics'),
  );
  return (await lastValueFrom(events)) as MetricsEvent;
}

describe('metric registry', () => {
  it('every key, alias and column names one metric', () => {
    const names = METRICS.flatMap((m) => [m.key, ...(m.aliases ?? []), ...(m.column ? [m.column] : [])]);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRICS) expect(findMetric(m.key)).toBe(m);
  });

  it('names every key an evaluation writes, aggregate and per sample, by its canonical key', async () => {
    const last = await evaluateAll();
    const flat = flattenAggregate(last.aggregate);
    expect(Object.keys(flat).length).toBeGreaterThan(10);
    for (const k of Object.keys(flat)) expect(findMetric(k)?.key, k).toBe(k);
    for (const s of last.samples) for (const k of Object.keys(s.metrics)) expect(findMetric(k)?.key, k).toBe(k);
    // CIDEr-D is written under the key the trainer logs and the report shows.
    expect(flat[metricSpec('cider').key]).toBeTypeOf('number');
    // …and in the registry's order.
    expect(Object.keys(flat)).toEqual(sortMetrics(Object.keys(flat)));
  });

  it('offers one --metrics name per family, each computing all of its family', () => {
    const { families, unknown } = metricFamilies(METRIC_CHOICES);
    expect(unknown).toEqual([]);
    expect(families.sort()).toEqual([...PURE_METRIC_NAMES, 'bertscore', 'siglip'].sort());
    expect(METRIC_CHOICES).toHaveLength(families.length);
    expect(metricFamilies(['cider_d', 'cider', 'bleurt', 'count'])).toEqual({
      families: ['cider-d'],
      unknown: ['bleurt', 'count'],
    });
  });

  it('resolves aliases and legacy keys to canonical keys, and refuses unknown names', () => {
    expect(metricSpec('cider').key).toBe('cider_d');
    expect(metricSpec('siglip_score').key).toBe('siglip');
    expect(canonicalMetrics({ cider: 0.5, meteor: 0.2, mine: 1 })).toEqual({ cider_d: 0.5, meteor: 0.2, mine: 1 });
    expect(canonicalMetrics({ cider: 0.5, cider_d: 0.4 })).toEqual({ cider_d: 0.4 });
    expect(() => metricSpec('bleurt')).toThrow(/unknown metric bleurt/);
  });

  it('gives training_log.csv one column per metric, the seed keeping its own column names', () => {
    expect(TRAINING_LOG_METRICS.map((c) => c.key)).toEqual(METRICS.map((m) => m.key));
    expect(TRAINING_LOG_METRICS.find((c) => c.key === 'siglip')).toEqual({
      key: 'siglip',
      column: 'siglip_score',
      seedColumn: true,
    });
    expect(TRAINING_LOG_METRICS.filter((c) => c.seedColumn).map((c) => c.column)).toEqual([
      'siglip_score',
      'diversity',
    ]);
  });

  it('formats by the metric: counts as integers, rates as percentages on cards, 4 decimals in tables', () => {
    expect(formatMetric('count', 3)).toBe('3');
    expect(formatMetric('eos_rate', 0.75)).toBe('75.0%');
    expect(formatMetric('eos_rate', 0.75, 'table')).toBe('0.7500');
    expect(formatMetric('cider_d', 0.25, 'table')).toBe('0.2500');
    expect(formatMetric('meteor', 0.31234)).toBe('0.312');
    expect(formatMetric('unknown_thing', 12)).toBe('12');
  });
});
