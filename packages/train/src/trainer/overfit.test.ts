/**
 * Overfitting one batch: the loss goes near zero and the model then reproduces each caption and
 * *stops* — EOS is in the labels (the seed never put it there, so its models ran to
 * max_new_tokens). The batch is built with the real buildExample / collate / batchSource path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, vlmGenerate } from '@kvc/models';
import { train } from './train.js';
import type { TrainEvent } from './trainer-types.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 2, captionLength: 6, hidden: 32, layers: 1 });
});
afterAll(async () => s?.dispose());

describe('overfitting one batch (stage 2: projector + LoRA)', () => {
  it('drives the loss near zero and then every caption ends with EOS', async () => {
    const epochs = 80;
    const events = await lastValueFrom(
      train({
        options: s.options('overfit', {
          stages: [{ name: 'stage2', epochs, lr: 2e-2, trainLora: true }],
          warmupRatio: 0.05,
        }),
        parts: s.parts,
        data: s.data({ batchSize: 2 }),
      }).pipe(toArray()),
    );
    const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    expect(steps).toHaveLength(epochs);
    const first = steps[0]!.loss;
    const last = steps.at(-1)!.loss;
    expect(first).toBeGreaterThan(1);
    expect(last).toBeLessThan(0.05);

    // Greedy generation from the same features and prompt: exactly the caption, then EOS.
    const ids = s.samples.map((x) => x.id);
    const feats = ids.map((id) => s.features.get(id)!);
    const vision = tf.tensor3d(Float32Array.from(feats.flatMap((f) => [...f.data])), [
      ids.length,
      ...(feats[0]!.shape as [number, number]),
    ]);
    try {
      const out = await vlmGenerate(s.parts, vision, s.promptIds, {
        maxNewTokens: 12,
        eosTokenId: s.eosId,
        repetitionPenalty: 1,
      });
      out.forEach((r, i) => {
        expect(r.ids).toEqual([...s.captions.get(ids[i]!)!, s.eosId]);
        expect(r.reachedEos).toBe(true);
      });
    } finally {
      vision.dispose();
    }
  });
});
