/**
 * A run's model scorers load once and survive the evaluation streams that would dispose them;
 * a missing model is dropped with a warning. The eval package's scorers are replaced by counting
 * fakes: what is tested here is the keep-alive, not SigLIP itself (that has its parity tests).
 */
import { Writable } from 'node:stream';
import type * as Eval from '@kvc/eval';
import { lastValueFrom, from } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { validateRunConfig } from '../config/load-config.js';
import { Output } from '../output.js';

const life = vi.hoisted(() => ({ created: 0, loads: 0, disposed: 0 }));

vi.mock('@kvc/eval', async (importOriginal) => {
  const real = await importOriginal<typeof Eval>();
  class FakeSiglip {
    readonly name = 'siglip';
    private loaded = false;
    private n = 0;
    constructor() {
      life.created++;
    }
    async init(): Promise<void> {
      this.n = 0;
      if (!this.loaded) life.loads++;
      this.loaded = true;
    }
    async scoreBatch(records: readonly unknown[]) {
      this.n += records.length;
      return records.map(() => ({ siglip: 0.5 }));
    }
    aggregate() {
      return { siglip: 0.5, n: this.n };
    }
    dispose(): void {
      life.disposed++;
      this.loaded = false;
    }
  }
  return {
    ...real,
    SiglipScorer: FakeSiglip,
    // siglip "is available"; the BERT model is not.
    resolveLegacyModelDir: async (model: string) => {
      if (model.includes('bert')) throw new Error(`no local copy of ${model}`);
      return `/models/${model}`;
    },
  };
});

const { ModelScorers } = await import('./model-scorers.js');
const { evaluateCaptions } = await import('@kvc/eval');

function output(): { out: Output; err: () => string } {
  let text = '';
  const sink = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return { out: new Output({ json: false, stdout: sink, stderr: sink }), err: () => text };
}

describe('ModelScorers', () => {
  it('loads each model once for every evaluation of a run and frees it at the end; a missing one is skipped with a warning', async () => {
    const config = validateRunConfig({ eval: { metrics: ['meteor', 'siglip', 'bertscore'] } }, 'test');
    const { out, err } = output();
    const pool = new ModelScorers(config, out);
    const records = [{ id: 'a', video: 'a.mp4', prediction: '빨간 원', reference: '빨간 원' }];
    for (let i = 0; i < 3; i++) {
      const scorers = await pool.forEvaluation();
      expect(scorers.map((s) => s.name)).toEqual(['siglip']);
      await lastValueFrom(from(records).pipe(evaluateCaptions({ scorers, pureMetrics: ['meteor'], total: 1 })));
    }
    expect(life).toEqual({ created: 1, loads: 1, disposed: 0 });
    expect(err()).toMatch(/bertscore skipped: no local copy of bert-base-multilingual-cased/);
    expect(err().match(/bertscore skipped/g)).toHaveLength(1);
    await pool.dispose();
    expect(life.disposed).toBe(1);
    await pool.dispose();
    expect(life.disposed).toBe(1);
  });
});
