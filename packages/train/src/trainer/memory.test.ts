/**
 * Tensor memory is explicit: a full two-stage run (accumulation, LoRA dropout, step checkpoints,
 * an evaluation hook that generates) leaves `tf.memory().numTensors` where it was before the
 * run, and the count does not grow from step to step; nor does a stop and a resume.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, vlmGenerate } from '@kvc/models';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { ofType, runEvents } from './testing/run-events.js';
import type { EvaluateHook } from './trainer-types.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 5, captionLength: 4, hidden: 16, loraDropout: 0.1 });
});
afterAll(async () => s?.dispose());

describe('tensor memory', () => {
  it('a run leaks no tensors, per step or overall', async () => {
    const evaluate: EvaluateHook = async ({ parts }) => {
      const f = s.features.get('v0')!;
      const vision = tf.tensor3d(f.data, [1, ...(f.shape as [number, number])]);
      try {
        const [r] = await vlmGenerate(parts, vision, s.promptIds, { maxNewTokens: 4, eosTokenId: s.eosId });
        return { metrics: { siglip: r!.ids.length } };
      } finally {
        vision.dispose();
      }
    };
    const before = tf.memory().numTensors;
    const perStep: number[] = [];
    const events = await runEvents(
      {
        options: s.options('memory', {
          stages: [
            { name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false, evaluate: true },
            { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true, evaluate: true },
          ],
          gradAccumulation: 2,
          checkpointEverySteps: 1,
        }),
        parts: s.parts,
        data: s.data({ batchSize: 2 }),
        evaluate,
      },
      (e) => {
        if (e.type === 'step') perStep.push(tf.memory().numTensors);
      },
    );
    expect(ofType(events, 'evaluation')).toHaveLength(4);
    expect(perStep).toHaveLength(8);
    expect(new Set(perStep)).toEqual(new Set([before]));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stopping and resuming (weights and optimizer state read back) leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const options = s.options('memory-resume', { gradAccumulation: 2 });
    const ctrl = new AbortController();
    const first = await runEvents(
      { options, parts: s.parts, data: s.data({ batchSize: 1 }), signal: ctrl.signal },
      (e) => {
        if (e.type === 'step' && e.globalStep === 4) ctrl.abort(); // stage 2, mid-epoch
      },
    );
    expect(ofType(first, 'stopped')).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    const second = await runEvents({
      options: { ...options, resume: true },
      parts: s.parts,
      data: s.data({ batchSize: 1 }),
    });
    expect(ofType(second, 'run-start')[0]!.resumedFrom).toBeDefined();
    expect(ofType(second, 'run-end')[0]!.status).toBe('finished');
    expect(tf.memory().numTensors).toBe(before);
  });
});
