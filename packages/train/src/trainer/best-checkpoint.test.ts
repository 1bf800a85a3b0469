/**
 * The per-epoch evaluation hook and `best/`: the epoch with the best metric is kept in best/
 * (the weights of that epoch's checkpoint, plus metrics.json), the choice survives a stop and a
 * resume, and `run-end` names it. (The seed's "best model" held only the projector.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { maxAbsDiff, ofType, readCheckpointWeights, runEvents } from './testing/run-events.js';
import type { EvaluateHook, TrainEvent } from './trainer-types.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 3, captionLength: 3, hidden: 16 });
});
afterAll(async () => s?.dispose());

describe('evaluation and best/', () => {
  it('keeps the best epoch across a stop and a resume', async () => {
    // A scripted metric per (stage, epoch): the best is stage 1, epoch 2.
    const scores: Record<string, number> = { 'stage1/1': 0.1, 'stage1/2': 0.5, 'stage2/1': 0.3, 'stage2/2': 0.4 };
    const evaluate: EvaluateHook = async ({ stage, epoch }) => ({
      metrics: { siglip: scores[`${stage}/${epoch}`]!, diversity: 1 },
    });
    const options = s.options('best', {
      stages: [
        { name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false, evaluate: true },
        { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true, evaluate: true },
      ],
      keepCheckpoints: 10,
    });
    const ctrl = new AbortController();
    const first = await runEvents(
      { options, parts: s.parts, data: s.data({ batchSize: 1 }), evaluate, signal: ctrl.signal },
      (e) => {
        if (e.type === 'evaluation' && e.stage === 'stage2') ctrl.abort(); // stops at the end of stage 2, epoch 1
      },
    );
    expect(ofType(first, 'evaluation').map((e) => e.best)).toEqual([true, true, false]);
    expect(ofType(first, 'run-end')[0]).toMatchObject({
      status: 'stopped',
      best: { metric: 'siglip', value: 0.5, stage: 'stage1', epoch: 2 },
    });
    const stage1End = ofType(first, 'checkpoint').find(
      (c) => c.reason === 'epoch' && c.stage === 'stage1' && c.epoch === 2,
    )!;

    const second = await runEvents({
      options: { ...options, resume: true },
      parts: s.parts,
      data: s.data({ batchSize: 1 }),
      evaluate,
    });
    expect(ofType(second, 'evaluation').map((e) => [e.stage, e.epoch, e.best])).toEqual([['stage2', 2, false]]);
    const end = ofType(second, 'run-end')[0]!;
    expect(end).toMatchObject({
      status: 'finished',
      best: { metric: 'siglip', value: 0.5, stage: 'stage1', epoch: 2 },
    });
    const best = join(options.runDir, 'best');
    expect(maxAbsDiff(await readCheckpointWeights(best), await readCheckpointWeights(stage1End.path))).toBe(0);
    expect(maxAbsDiff(await readCheckpointWeights(best), await readCheckpointWeights(end.checkpoint))).toBeGreaterThan(
      0,
    );
    expect(JSON.parse(await readFile(join(best, 'metrics.json'), 'utf8'))).toMatchObject({
      value: 0.5,
      stage: 'stage1',
      epoch: 2,
      metrics: { siglip: 0.5 },
    });
  });

  it('a stage of 0 epochs is skipped: the run finishes after the other, and best/ holds its final weights', async () => {
    const options = s.options('stage-of-no-epochs', {
      stages: [
        { name: 'stage1', epochs: 1, lr: 1e-2, trainLora: false, evaluate: false },
        { name: 'stage2', epochs: 0, lr: 1e-2, trainLora: true, evaluate: true },
      ],
    });
    const evaluate: EvaluateHook = async () => ({ metrics: { siglip: 1 } });
    const events = await runEvents({ options, parts: s.parts, data: s.data({ batchSize: 1 }), evaluate });
    expect(ofType(events, 'stage-start').map((e) => e.stage)).toEqual(['stage1']);
    expect(ofType(events, 'evaluation')).toEqual([]);
    const end = ofType(events, 'run-end')[0]!;
    expect(end.status).toBe('finished');
    const best = ofType(events, 'checkpoint').find((c) => c.reason === 'best')!;
    expect(best).toMatchObject({ stage: 'stage1', epoch: 1 });
    expect(maxAbsDiff(await readCheckpointWeights(best.path), await readCheckpointWeights(end.checkpoint))).toBe(0);
  });

  it('a crash during an epoch-end evaluation loses no training: the resume evaluates that epoch, then trains on', async () => {
    const stages = [
      { name: 'stage1', epochs: 1, lr: 1e-2, trainLora: false, evaluate: true },
      { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true, evaluate: true },
    ];
    const evaluate: EvaluateHook = async ({ epoch }) => ({ metrics: { siglip: epoch / 10, diversity: 1 } });
    // The uninterrupted run, on its own identically seeded model (LoRA dropout on: the RNG state must survive).
    const u = await tinySetup({ numSamples: 3, captionLength: 3, hidden: 16, loraDropout: 0.2 });
    const c = await tinySetup({ numSamples: 3, captionLength: 3, hidden: 16, loraDropout: 0.2 });
    try {
      const ref = await runEvents({
        options: u.options('eval-crash-ref', { stages }),
        parts: u.parts,
        data: u.data({ batchSize: 1 }),
        evaluate,
      });
      const options = c.options('eval-crash', { stages });
      const crashing: EvaluateHook = async (at) => {
        if (at.stage === 'stage2' && at.epoch === 1) throw new Error('killed during the evaluation');
        return evaluate(at);
      };
      const seen: TrainEvent[] = [];
      const crash = await runEvents(
        { options, parts: c.parts, data: c.data({ batchSize: 1 }), evaluate: crashing },
        (e) => void seen.push(e),
      ).catch((e: unknown) => e);
      expect((crash as Error).message).toMatch(/killed during the evaluation/);
      // The epoch was checkpointed before the evaluation started.
      const saved = ofType(seen, 'checkpoint').at(-1)!;
      expect(saved).toMatchObject({ stage: 'stage2', epoch: 1, reason: 'epoch' });
      const stepsBefore = ofType(seen, 'step').length;

      const second = await runEvents({
        options: { ...options, resume: true },
        parts: c.parts,
        data: c.data({ batchSize: 1 }),
        evaluate,
      });
      expect(ofType(second, 'run-start')[0]!.resumedFrom).toBe(saved.path);
      expect(ofType(second, 'evaluation').map((e) => [e.stage, e.epoch])).toEqual([
        ['stage2', 1],
        ['stage2', 2],
      ]);
      // No step of stage 2's first epoch again: the resumed run starts at its second epoch.
      expect(ofType(second, 'step')[0]).toMatchObject({ stage: 'stage2', epoch: 2 });
      expect(stepsBefore + ofType(second, 'step').length).toBe(ofType(ref, 'step').length);
      const end = ofType(second, 'run-end')[0]!;
      expect(end).toMatchObject({ status: 'finished', best: ofType(ref, 'run-end')[0]!.best });
      const refEnd = ofType(ref, 'run-end')[0]!.checkpoint;
      expect(maxAbsDiff(await readCheckpointWeights(end.checkpoint), await readCheckpointWeights(refEnd))).toBe(0);
      // One training_log.csv row per epoch, as in the uninterrupted run.
      const rows = async (dir: string) =>
        (await readFile(join(dir, 'training_log.csv'), 'utf8'))
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',').slice(0, 2).join(','));
      expect(await rows(options.runDir)).toEqual(await rows(u.options('eval-crash-ref', { stages }).runDir));
      expect(await rows(options.runDir)).toHaveLength(3);
    } finally {
      await u.dispose();
      await c.dispose();
    }
  });

  it('warns once when the best metric is not evaluated, and best/ is then the final weights', async () => {
    // e.g. bestMetric siglip while the SigLIP2 model is not available offline.
    const evaluate: EvaluateHook = async () => ({ metrics: { meteor: 0.3, diversity: 1 } });
    const options = s.options('best-missing', {
      stages: [{ name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false, evaluate: true }],
      bestMetric: 'siglip',
    });
    const events = await runEvents({ options, parts: s.parts, data: s.data({ batchSize: 1 }), evaluate });
    const warnings = ofType(events, 'warning').filter((w) => w.code === 'W_BEST_METRIC_MISSING');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      /best metric "siglip" is not among the evaluated metrics \(meteor, diversity\)/,
    );
    const end = ofType(events, 'run-end')[0]!;
    expect(end.best).toBeUndefined();
    expect(
      maxAbsDiff(
        await readCheckpointWeights(join(options.runDir, 'best')),
        await readCheckpointWeights(end.checkpoint),
      ),
    ).toBe(0);
  });
});
