/**
 * Stopping and resuming in-process: an AbortSignal mid-epoch stops after the current optimizer
 * step with a checkpoint (`stopped`, then `run-end` with status `stopped`), and resuming from it
 * ends at exactly the weights of an uninterrupted run (LoRA dropout on, so the RNG state must be
 * restored). Also what a run folder that already holds a run does: refuse without `resume`
 * (with a hint), refuse a changed config naming the keys, and `skip` a finished run. Unsubscribing
 * stops the same way as the signal does.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { TrainError } from '../errors.js';
import { train } from './train.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { maxAbsDiff, ofType, readCheckpointWeights, runEvents } from './testing/run-events.js';
import type { TrainerOptions } from './trainer-types.js';

const STAGES: TrainerOptions['stages'] = [
  { name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false },
  { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true },
];
const CONFIG = { model: 'tiny', lr: 0.01, out: 'a' };

let s: TinySetup;
let reference: Map<string, Float32Array>;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  // The uninterrupted run, on its own copy of the (identically seeded) model.
  const u = await tinySetup({ loraDropout: 0.2 });
  try {
    const events = await runEvents({
      options: u.options('uninterrupted', { stages: STAGES, config: CONFIG }),
      parts: u.parts,
      data: u.data({ batchSize: 1 }),
    });
    reference = await readCheckpointWeights(ofType(events, 'run-end')[0]!.checkpoint);
  } finally {
    await u.dispose();
  }
  s = await tinySetup({ loraDropout: 0.2 });
});
afterAll(async () => s?.dispose());

describe('stop via AbortSignal, then resume', () => {
  const options = (over: Partial<TrainerOptions> = {}) =>
    s.options('stopped', { stages: STAGES, config: CONFIG, ...over });
  const data = () => s.data({ batchSize: 1 });

  it('stops mid-epoch after the current step with a checkpoint and resumes to the uninterrupted weights', async () => {
    // 4 batches per epoch, accumulation 1: global step 11 is stage 2, epoch 1, batch 3 of 4.
    const ctrl = new AbortController();
    const first = await runEvents({ options: options(), parts: s.parts, data: data(), signal: ctrl.signal }, (e) => {
      if (e.type === 'step' && e.globalStep === 11) ctrl.abort();
    });
    const steps = ofType(first, 'step');
    expect(steps.at(-1)!.globalStep).toBe(11);
    const tail = first.slice(first.indexOf(steps.at(-1)!) + 1);
    expect(tail.map((e) => e.type)).toEqual(['checkpoint', 'stopped', 'run-end']);
    const stopped = ofType(first, 'stopped')[0]!;
    expect(stopped).toMatchObject({ stage: 'stage2', epoch: 1, batch: 3 });
    expect(ofType(first, 'checkpoint').at(-1)).toMatchObject({ reason: 'stop', path: stopped.checkpoint });
    expect(ofType(first, 'run-end')[0]).toMatchObject({ status: 'stopped', checkpoint: stopped.checkpoint });

    // Without resume the folder is refused, with a hint.
    const err = await runEvents({ options: options(), parts: s.parts, data: data() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainError);
    expect((err as TrainError).code).toBe('E_RUN_EXISTS');
    expect((err as TrainError).hint).toMatch(/resume/);

    // A changed config key is refused, naming the key; an ignored key may change.
    const bad = await runEvents({
      options: options({ resume: true, config: { ...CONFIG, lr: 0.02 } }),
      parts: s.parts,
      data: data(),
    }).catch((e: unknown) => e);
    expect((bad as TrainError).code).toBe('E_RESUME_CONFIG');
    expect((bad as TrainError).message).toContain('lr');
    expect((bad as TrainError).context.keys).toEqual(['lr']);

    const second = await runEvents({
      options: options({ resume: true, config: { ...CONFIG, out: 'b' }, resumeIgnoreKeys: ['out'] }),
      parts: s.parts,
      data: data(),
    });
    expect(ofType(second, 'run-start')[0]!.resumedFrom).toBe(stopped.checkpoint);
    expect(ofType(second, 'stage-start').map((e) => e.stage)).toEqual(['stage2']);
    expect(ofType(second, 'step')[0]).toMatchObject({ stage: 'stage2', epoch: 1, step: 4, globalStep: 12, batch: 4 });
    const end = ofType(second, 'run-end')[0]!;
    expect(end.status).toBe('finished');
    expect(maxAbsDiff(await readCheckpointWeights(end.checkpoint), reference)).toBe(0);

    // Running the finished run again (ignored keys may differ): skip, nothing trained.
    const third = await runEvents({ options: options({ resumeIgnoreKeys: ['out'] }), parts: s.parts, data: data() });
    expect(third.map((e) => e.type)).toEqual(['skip']);
    // ... but not with another config, with or without resume: the keys are named, and the hint
    // does not suggest --resume (which cannot continue a finished run).
    for (const resume of [false, true]) {
      const other = await runEvents({
        options: options({ resume, config: { ...CONFIG, out: 'b', lr: 0.5 } }),
        parts: s.parts,
        data: data(),
      }).catch((e: unknown) => e);
      expect((other as TrainError).code).toBe('E_RUN_EXISTS');
      expect((other as TrainError).context.keys).toEqual(['lr']);
      expect((other as TrainError).hint).not.toMatch(/resume/);
    }
  });

  it('unsubscribing stops after the current step with a checkpoint, and resuming finishes the same', async () => {
    // Fresh parts: the first test left s.parts trained.
    const f = await tinySetup({ loraDropout: 0.2 });
    const opts = f.options('unsubscribed', { stages: STAGES, config: CONFIG });
    const fdata = () => f.data({ batchSize: 1 });
    const sub = train({ options: opts, parts: f.parts, data: fdata() }).subscribe((e) => {
      if (e.type === 'step' && e.globalStep === 3) sub.unsubscribe();
    });
    // Nobody listens any more: the run's end shows in events.jsonl.
    const logged = async (): Promise<Record<string, unknown>[]> => {
      const text = await readFile(join(opts.runDir, 'events.jsonl'), 'utf8').catch(() => '');
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    for (let i = 0; i < 200 && !(await logged()).some((e) => e.type === 'run-end'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const log = await logged();
    expect(log.filter((e) => e.type === 'step').map((e) => e.globalStep)).toEqual([1, 2, 3]);
    expect(log.find((e) => e.type === 'stopped')).toMatchObject({ stage: 'stage1', epoch: 1, batch: 3 });
    expect(log.find((e) => e.type === 'run-end')).toMatchObject({ status: 'stopped' });

    try {
      const second = await runEvents({ options: { ...opts, resume: true }, parts: f.parts, data: fdata() });
      expect(ofType(second, 'step')[0]!.globalStep).toBe(4);
      expect(maxAbsDiff(await readCheckpointWeights(ofType(second, 'run-end')[0]!.checkpoint), reference)).toBe(0);
    } finally {
      await f.dispose();
    }
  });
});
