/**
 * The trainer pulls data lazily through `batchSource`: when a step is reported, exactly the
 * features of the batches consumed so far were loaded (no read-ahead, no whole-dataset load), a
 * stop loads nothing more, and a resumed epoch never loads the batches it skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import type { FeatureTensor } from '../batching/batch-source.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { ofType, runEvents } from './testing/run-events.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 6, captionLength: 3, hidden: 16 });
});
afterAll(async () => s?.dispose());

describe('lazy data', () => {
  it('loads features only for the batches consumed', async () => {
    const loaded: string[] = [];
    const loadFeatures = async (id: string): Promise<FeatureTensor> => {
      loaded.push(id);
      return s.loadFeatures(id);
    };
    const options = s.options('lazy', { stages: [{ name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false }] });
    const data = s.data({ batchSize: 2, loadFeatures }); // 3 batches per epoch
    const ctrl = new AbortController();
    const atStep: [number, number][] = [];
    const first = await runEvents({ options, parts: s.parts, data, signal: ctrl.signal }, (e) => {
      if (e.type !== 'step') return;
      atStep.push([e.globalStep, loaded.length]);
      if (e.globalStep === 5) ctrl.abort(); // epoch 2, batch 2 of 3
    });
    expect(ofType(first, 'stopped')).toHaveLength(1);
    expect(atStep).toEqual([1, 2, 3, 4, 5].map((k) => [k, 2 * k]));
    expect(loaded).toHaveLength(10); // nothing loaded after the stop

    // Resuming at epoch 2, batch 3: only that batch's features are loaded.
    loaded.length = 0;
    const second = await runEvents({ options: { ...options, resume: true }, parts: s.parts, data });
    expect(ofType(second, 'step').map((e) => e.globalStep)).toEqual([6]);
    expect(loaded).toHaveLength(2);
    expect(new Set(loaded).size).toBe(2);
  });
});
