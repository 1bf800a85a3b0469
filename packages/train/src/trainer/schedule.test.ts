/**
 * The schedule counts optimizer steps, not batches (the seed's bug: with accumulation its cosine
 * ended at half the peak): 7 micro-batches per epoch, accumulation 3, 2 epochs per stage give
 * ceil(7/3) × 2 = 6 steps per stage, each stage with a fresh warmup-cosine that peaks at the
 * stage's LR and is exactly 0 after the stage's last scheduler step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { ofType, runEvents } from './testing/run-events.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 7, captionLength: 3, hidden: 16 });
});
afterAll(async () => s?.dispose());

describe('warmup-cosine over optimizer steps with accumulation', () => {
  it('has ceil(batches/accum) × epochs steps per stage, rises then falls, and ends at exactly 0', async () => {
    const stages = [
      { name: 'stage1', epochs: 2, lr: 1e-3, trainLora: false },
      { name: 'stage2', epochs: 2, lr: 5e-4, projectorLr: 2e-4, trainLora: true },
    ] as const;
    const events = await runEvents({
      options: s.options('schedule', { stages, gradAccumulation: 3, warmupRatio: 0.34 }),
      parts: s.parts,
      data: s.data({ batchSize: 1 }),
    });
    // Each stage ends with its steps, wall time and memory peak (no GPU pool on cpu: no device peak).
    const ends = ofType(events, 'stage-end');
    expect(ends.map((e) => [e.stage, e.steps])).toEqual([
      ['stage1', 6],
      ['stage2', 6],
    ]);
    for (const e of ends) {
      expect(e.wallS).toBeGreaterThan(0);
      expect(e.peakTensorMB).toBeGreaterThan(0);
      expect(e.devicePeakMB).toBeUndefined();
    }
    expect(events.indexOf(ends[0]!)).toBeLessThan(events.indexOf(ofType(events, 'stage-start')[1]!));
    const starts = ofType(events, 'stage-start');
    expect(starts.map((e) => [e.stage, e.batchesPerEpoch, e.totalSteps, e.warmupSteps])).toEqual([
      ['stage1', 7, 6, 2],
      ['stage2', 7, 6, 2],
    ]);
    let global = 0;
    for (const st of stages) {
      const steps = ofType(events, 'step').filter((e) => e.stage === st.name);
      expect(steps.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(steps.map((e) => e.globalStep)).toEqual([1, 2, 3, 4, 5, 6].map((k) => k + global));
      global += steps.length;
      expect(steps.every((e) => e.totalSteps === 6)).toBe(true);
      // 3 + 3 + 1 micro-batches per epoch: the short last group still steps.
      expect(steps.map((e) => e.microLosses.length)).toEqual([3, 3, 1, 3, 3, 1]);
      expect(steps.map((e) => e.batch)).toEqual([3, 6, 7, 3, 6, 7]);
      // LR used by each step: 0 at the first (torch's LambdaLR with warmup), up to the peak
      // at the end of warmup, then strictly down, never 0 before the end.
      const lrs = steps.map((e) => e.lr);
      const peak = lrs.indexOf(Math.max(...lrs));
      expect(lrs[0]).toBe(0);
      expect(peak).toBe(2);
      expect(lrs[peak]).toBe(st.lr);
      for (let i = 1; i <= peak; i++) expect(lrs[i]!).toBeGreaterThan(lrs[i - 1]!);
      for (let i = peak + 1; i < lrs.length; i++) {
        expect(lrs[i]!).toBeLessThan(lrs[i - 1]!);
        expect(lrs[i]!).toBeGreaterThan(0);
      }
      // The LR after the stage's final scheduler step (read at its last epoch's end) is exactly 0.
      const epochs = ofType(events, 'epoch').filter((e) => e.stage === st.name);
      expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
      expect(epochs[0]!.lr).toBeGreaterThan(0);
      expect(epochs[1]!.lr).toBe(0);
    }
  });
});
