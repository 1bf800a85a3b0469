/**
 * training_log.csv from a real (tiny) run: the trainer logs what the evaluation returns under the
 * columns it is given (never naming a metric itself), writes the measured throughput, names an
 * evaluated key without a column in one warning (it stays in events.jsonl), and emits the
 * evaluation hook's own warnings.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { parseTrainingLog } from '../logs/training-log.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { ofType, runEvents } from './testing/run-events.js';
import type { EvaluateHook } from './trainer-types.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 3, captionLength: 3, hidden: 16 });
});
afterAll(async () => s?.dispose());

describe('training_log.csv of a run', () => {
  it('logs every evaluated metric that has a column, the throughput, and warns about the rest', async () => {
    const values = [
      { siglip: 0.1, cider_d: 0.2, unnamed: 7 },
      { siglip: 0.3, cider_d: 0.4, unnamed: 8 },
    ];
    let n = 0;
    const warnings = [{ code: 'W_HOOK', message: 'from the hook' }];
    const evaluate: EvaluateHook = async () => ({ metrics: values[n++]!, warnings });
    const logMetrics = [
      { key: 'siglip', column: 'siglip_score', seedColumn: true },
      { key: 'cider_d', column: 'cider_d' },
    ];
    const options = s.options('log', {
      stages: [{ name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false, evaluate: true }],
      logMetrics,
    });
    const events = await runEvents({ options, parts: s.parts, data: s.data({ batchSize: 1 }), evaluate });
    const rows = parseTrainingLog(await readFile(join(options.runDir, 'training_log.csv'), 'utf8'));
    const logged = rows.map((r) => [Number(r.siglip_score), Number(r.cider_d)]);
    expect(logged).toEqual(values.map((v) => [v.siglip, v.cider_d]));
    for (const r of rows) {
      expect(Number(r.tokens_per_s)).toBeGreaterThan(0);
      expect(Number(r.grad_norm)).toBeGreaterThan(0);
    }
    const unlogged = ofType(events, 'warning').filter((w) => w.code === 'W_METRIC_NOT_LOGGED');
    expect(unlogged).toHaveLength(1);
    expect(unlogged[0]!.message).toMatch(/unnamed/);
    expect(ofType(events, 'evaluation').map((e) => e.metrics.unnamed)).toEqual([7, 8]);
    expect(ofType(events, 'warning').filter((w) => w.code === 'W_HOOK')).toHaveLength(2);
  });
});
