import { describe, expect, it } from 'vitest';
import {
  accumulationPlan,
  isOptimizerStepBoundary,
  lossDivisor,
  optimizerStepsPerEpoch,
  totalOptimizerSteps,
  warmupStepsFromRatio,
} from './accumulation.js';

describe('gradient accumulation arithmetic', () => {
  it.each([
    [10, 3, 4],
    [9, 3, 3],
    [8, 2, 4],
    [1, 4, 1],
    [7, 1, 7],
  ])('%i micro-batches, accumulation %i -> %i optimizer steps per epoch', (micro, accum, steps) => {
    expect(optimizerStepsPerEpoch(micro, accum)).toBe(steps);
  });

  it('total steps count optimizer steps over all epochs (not batches: the seed bug)', () => {
    expect(totalOptimizerSteps(10, 3, 2)).toBe(8);
    expect(totalOptimizerSteps(10, 2, 3)).toBe(15);
  });

  it.each([
    [0.25, 4, 1],
    [0.1, 8, 0], // int(0.8)
    [0.1, 30, 3], // 0.1*30 = 3.0000000000000004 -> 3
    [0.29, 100, 28], // 0.29*100 = 28.999999999999996 in float64; Python int() gives 28
    [0, 50, 0],
  ])('warmup = int(%f * %i) = %i', (ratio, total, warmup) => {
    expect(warmupStepsFromRatio(ratio, total)).toBe(warmup);
  });

  it('steps after every `accumulation` micro-batches and after the last one', () => {
    const boundaries = Array.from({ length: 10 }, (_, i) => i).filter((i) => isOptimizerStepBoundary(i, 10, 3));
    expect(boundaries).toEqual([2, 5, 8, 9]);
    expect(boundaries).toHaveLength(optimizerStepsPerEpoch(10, 3));
  });

  it('divides every micro-batch loss by the accumulation count, also in the last partial group', () => {
    expect(lossDivisor(3)).toBe(3);
    expect(accumulationPlan({ microBatches: 10, accumulation: 3, epochs: 2, warmupRatio: 0.1 })).toEqual({
      stepsPerEpoch: 4,
      totalSteps: 8,
      warmupSteps: 0,
      lossDivisor: 3,
    });
  });

  it.each([
    [() => optimizerStepsPerEpoch(0, 1)],
    [() => optimizerStepsPerEpoch(4, 1.5)],
    [() => totalOptimizerSteps(4, 2, 0)],
    [() => warmupStepsFromRatio(1.5, 10)],
  ])('rejects invalid arguments (%#)', (fn) => {
    expect(fn).toThrow(expect.objectContaining({ code: 'E_SCHEDULE_CONFIG' }));
  });
});
