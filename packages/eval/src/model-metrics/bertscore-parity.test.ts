import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { from, lastValueFrom } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MetricsEvent } from '../stream/eval-events.js';
import { evaluateCaptions } from '../stream/evaluate-captions.js';
import { BertScorer } from './bert-scorer.js';
import { BERTSCORE_PARITY_TOLERANCE, runBertscoreParity } from './bertscore-parity.js';

const CASE = new URL('../../../../test/fixtures/reference/bertscore/', import.meta.url).pathname;
interface RefCase {
  candidate: string;
  reference: string;
  precision: number;
  recall: number;
  f1: number;
}
const ref = JSON.parse(readFileSync(join(CASE, 'bertscore_reference.json'), 'utf8')) as {
  num_layers: number;
  cases: RefCase[];
  mean: { f1: number };
};

beforeAll(async () => {
  await initBackend('cpu');
});

describe('runBertscoreParity', () => {
  it('matches bert_score on every pair: token ids exactly, P/R/F and their means within 1e-4', async () => {
    const before = tf.memory().numTensors;
    const r = await runBertscoreParity(CASE);
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
    expect(r.pass).toBe(true);
    expect(r.checks).toHaveLength(ref.cases.length * 5 + 3);
    expect(r.checks.every((c) => c.tolerance === 0 || c.tolerance === BERTSCORE_PARITY_TOLERANCE)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fails, naming the scores, when it reads the wrong layer (ids still match)', async () => {
    const r = await runBertscoreParity(CASE, { layer: ref.num_layers - 1 });
    expect(r.pass).toBe(false);
    const failed = r.checks.filter((c) => !c.pass).map((c) => c.name);
    expect(failed.filter((n) => /^pair\[\d+\]\.(precision|recall|f1)$/.test(n)).length).toBeGreaterThan(3);
    expect(failed.some((n) => n.endsWith('_ids'))).toBe(false);
  });
});

describe('BertScorer in the evaluation stream', () => {
  it('loads once, scores batches and gives bert_score values per sample and their mean', async () => {
    const scorer = new BertScorer({ model: join(CASE, 'model'), layer: ref.num_layers });
    const records = ref.cases.map((c, i) => ({ id: `p${i}`, prediction: c.candidate, reference: c.reference }));
    const last = (await lastValueFrom(
      from(records).pipe(evaluateCaptions({ scorers: [scorer], batchSize: 4, pureMetrics: [] })),
    )) as MetricsEvent;
    last.samples.forEach((s, i) => {
      expect(Math.abs(s.metrics.bertscore_f1! - ref.cases[i]!.f1)).toBeLessThan(1e-4);
      expect(Math.abs(s.metrics.bertscore_precision! - ref.cases[i]!.precision)).toBeLessThan(1e-4);
    });
    expect(Math.abs(last.aggregate.model.bertscore_f1! - ref.mean.f1)).toBeLessThan(1e-4);
  });

  it('needs a layer for a model bert_score has no default for, and says a missing hub model is not cached', async () => {
    let err: unknown;
    try {
      new BertScorer({ model: 'someone/some-bert' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'E_MODEL_METRIC', hint: expect.stringMatching(/--bert-layer/) as unknown });
    const scorer = new BertScorer({ cacheDir: mkdtempSync(join(tmpdir(), 'kvc-hub-')) });
    await expect(scorer.init()).rejects.toMatchObject({
      code: 'E_MODEL_NOT_CACHED',
      context: { model: 'bert-base-multilingual-cased' },
    });
  });
});
