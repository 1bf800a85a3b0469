// computePureMetrics wires each metric's corpus and per-sample values through unchanged.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusBleu } from './bleu.js';
import { corpusCiderD } from './cider-d.js';
import { type PureMetricName, computePureMetrics } from './compute-pure-metrics.js';
import { corpusRougeL } from './rouge-l.js';

const refUrl = new URL('../../../../test/fixtures/reference/meteor/meteor_reference.json', import.meta.url);
const reference = JSON.parse(readFileSync(refUrl, 'utf8')) as {
  corpus_meteor: number;
  cases: { prediction: string; reference: string; meteor: number }[];
};
const records = reference.cases.map((c, i) => ({
  id: `v${i}`,
  prediction: c.prediction,
  references: c.reference,
  eosReached: i % 2 === 0,
}));

describe('computePureMetrics', () => {
  it('computes all pure metrics with aggregate and per-sample values', () => {
    const { aggregate, perSample } = computePureMetrics(records);
    expect(Math.abs((aggregate.meteor as number) - reference.corpus_meteor)).toBeLessThanOrEqual(1e-6);
    perSample.forEach((s, i) =>
      expect(Math.abs((s.meteor as number) - (reference.cases[i]?.meteor as number))).toBeLessThanOrEqual(1e-6),
    );
    const preds = records.map((r) => r.prediction);
    const refs = records.map((r) => r.references);
    expect(aggregate.bleu).toEqual(corpusBleu(preds, refs).bleu);
    expect(aggregate.rougeL).toBe(corpusRougeL(preds, refs).rougeL);
    expect(aggregate.ciderD).toBe(corpusCiderD(preds, refs).ciderD);
    expect(perSample.map((s) => s.ciderD)).toEqual(corpusCiderD(preds, refs).scores);
    expect(perSample.map((s) => s.rougeL)).toEqual(corpusRougeL(preds, refs).scores);
    expect(perSample[0]?.id).toBe('v0');
    expect(aggregate.diversity?.count).toBe(records.length);
    expect(aggregate.diversity?.eosRate).toBe(Math.ceil(records.length / 2) / records.length);
  });

  it('computes only the requested metrics', () => {
    const { aggregate, perSample } = computePureMetrics(records, ['rouge-l']);
    expect(Object.keys(aggregate)).toEqual(['rougeL']);
    expect(perSample[0]?.meteor).toBeUndefined();
  });

  it('rejects unknown names with a typed error', () => {
    expect(() => computePureMetrics(records, ['spice' as PureMetricName])).toThrow(
      expect.objectContaining({ code: 'E_METRIC_INPUT' }),
    );
  });
});
