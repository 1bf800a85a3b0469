/**
 * Dynamic loss scaling in the trainer (f16 training; exercised here on the cpu backend, where the
 * scaling itself is exact): a power-of-two scale that never overflows leaves the whole trajectory
 * bit-identical (so the gradients are unscaled before clipping and AdamW); a scale that overflows
 * skips steps as torch's GradScaler does (events, training_log.csv columns, no update, the schedule
 * held), and too many skips in a row stop the run naming the layer where the inf first appears.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { parseTrainingLog } from '../logs/training-log.js';
import { GradScaler } from '../optim/grad-scaler.js';
import { TrainError } from '../errors.js';
import { runTrainTrajectoryParity } from './trajectory-parity.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { maxAbsDiff, ofType, readCheckpointWeights, runEvents } from './testing/run-events.js';

const CASE = new URL('../../../../test/fixtures/reference/trajectory/', import.meta.url).pathname;

let s: TinySetup;
beforeAll(async () => {
  await initBackend('cpu', { purpose: 'training' });
  // Base weights 10× the default so that 2^127 · gradients overflow float32 in the backward: with RMSNorm,
  // RoPE, SwiGLU and the LoRA branch as ops with their own gradients (models/src/nn), the default-sized
  // model's scaled gradients stay finite (the composed tfjs ops had overflowed in their intermediates).
  s = await tinySetup({ weightScale: 4 });
});
afterAll(async () => s?.dispose());

describe('loss scaling in the trainer', () => {
  it('a scale that never overflows gives the unscaled trajectory exactly (unscale before clip and step)', async () => {
    const plain = await runTrainTrajectoryParity(CASE);
    const scaled = await runTrainTrajectoryParity(CASE, { override: { lossScale: { initScale: 2 ** 8 } } });
    expect(scaled.pass).toBe(true);
    expect(scaled.checks.map((c) => [c.name, c.maxAbs])).toEqual(plain.checks.map((c) => [c.name, c.maxAbs]));
  });

  it('skips steps whose gradients overflow, backs off, grows again by the GradScaler rules, and logs it', async () => {
    // 2^127 · loss overflows float32: the first steps get inf gradients until the scale has backed off.
    const lossScale = { initScale: 2 ** 127, growthInterval: 2 };
    const options = s.options('skips', {
      lossScale,
      stages: [{ name: 'stage1', epochs: 3, lr: 1e-2, trainLora: false }],
    });
    const events = await runEvents({ options, parts: s.parts, data: s.data({ batchSize: 2 }) });
    const steps = ofType(events, 'step');
    const skipped = ofType(events, 'skipped-step');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.length).toBeLessThan(steps.length);
    // Replay the scale with torch's rules from which steps were skipped.
    const rules = new GradScaler(lossScale);
    const skippedAt = new Set(skipped.map((e) => e.globalStep));
    for (const st of steps) {
      expect(st.lossScale, `step ${st.globalStep}`).toBe(rules.scale);
      rules.update(skippedAt.has(st.globalStep));
      if (skippedAt.has(st.globalStep)) expect(st.gradNorm).toBeNaN();
      else expect(Number.isFinite(st.gradNorm)).toBe(true);
    }
    for (const e of skipped) expect(e.nextLossScale).toBe(e.lossScale / 2);
    // The schedule does not advance on a skipped step (HF Trainer): the first applied step has the first LR.
    const firstApplied = steps.find((st) => !skippedAt.has(st.globalStep))!;
    expect(firstApplied.lr).toBe(steps[0]!.lr);
    const log = parseTrainingLog(await readFile(join(options.runDir, 'training_log.csv'), 'utf8'));
    expect(log.reduce((n, r) => n + Number(r.skipped_steps), 0)).toBe(skipped.length);
    expect(Number(log.at(-1)!.loss_scale)).toBe(rules.scale);
  });

  it('stops after maxConsecutiveSkips with E_NONFINITE_GRADIENTS naming the layer', async () => {
    const options = s.options('stuck', { lossScale: { initScale: 2 ** 127, maxConsecutiveSkips: 2 } });
    const err = await runEvents({ options, parts: s.parts, data: s.data({ batchSize: 2 }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainError);
    const e = err as TrainError;
    expect(e.code).toBe('E_NONFINITE_GRADIENTS');
    expect(e.message).toMatch(/2 optimizer steps in a row/);
    // The forward is finite; the backward is not, from some point on the way back to the inputs (with these
    // weights, the gradients reaching the input embeddings are the first to pass 2^128 / 2^127).
    const where = /first non-finite gradient \(backward from the loss\): (Qwen3 layer \d+|input embeddings)/;
    expect(e.context.where).toMatch(where);
    expect(e.context.where).not.toMatch(/activation/);
    expect(e.hint).toMatch(/precision f32/);
  });

  it('saves the scaler in checkpoints: a stopped and resumed run equals the uninterrupted one', async () => {
    const lossScale = { initScale: 2 ** 127, growthInterval: 2 };
    const stages = [{ name: 'stage1', epochs: 3, lr: 1e-2, trainLora: false }] as const;
    const data = () => s.data({ batchSize: 2 });
    const fresh = await tinySetup();
    const wholeOptions = fresh.options('whole', { lossScale, stages });
    const whole = await runEvents({ options: wholeOptions, parts: fresh.parts, data: data() });
    const a = await readCheckpointWeights(ofType(whole, 'run-end')[0]!.checkpoint);
    await fresh.dispose();
    // The other tests trained s's projector: start this run from a fresh (identically seeded) setup too.
    const r = await tinySetup();
    const options = r.options('resumed', { lossScale, stages });
    const ctrl = new AbortController();
    const skips = ofType(whole, 'skipped-step').length;
    // Stop after the first applied step following the skips: the scale then differs from initScale.
    const first = await runEvents({ options, parts: r.parts, data: data(), signal: ctrl.signal }, (e) => {
      if (e.type === 'step' && e.globalStep === skips + 1) ctrl.abort();
    });
    expect(ofType(first, 'stopped').length).toBe(1);
    const rest = await runEvents({ options: { ...options, resume: true }, parts: r.parts, data: data() });
    const scales = (evs: typeof whole) => ofType(evs, 'step').map((e) => [e.globalStep, e.lossScale]);
    expect([...scales(first), ...scales(rest)]).toEqual(scales(whole));
    const b = await readCheckpointWeights(ofType(rest, 'run-end')[0]!.checkpoint);
    await r.dispose();
    expect(maxAbsDiff(a, b)).toBe(0);
  });
});
