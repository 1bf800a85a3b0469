import { describe, expect, it } from 'vitest';
import { TrainError } from '../errors.js';
import { constantWithWarmup, cosineWithWarmup, linearWithWarmup } from './lr-lambda.js';

describe('cosineWithWarmup (transformers get_cosine_schedule_with_warmup)', () => {
  const lambda = cosineWithWarmup({ warmupSteps: 4, totalSteps: 24 });
  it.each([
    [0, 0], // the first optimizer step runs at lr 0, as in torch's LambdaLR
    [1, 0.25],
    [3, 0.75],
    [4, 1], // end of warmup: peak
    [14, 0.5], // progress 1/2: half way down the cosine
    [9, 0.5 * (1 + Math.cos(Math.PI / 4))], // progress 1/4
    [24, 0], // after the last scheduler.step(): exactly 0
  ])('lambda(%i) = %f', (step, expected) => {
    expect(lambda(step)).toBeCloseTo(expected, 15);
  });
  it('is exactly 0 at totalSteps, positive on every step before it', () => {
    expect(lambda(24)).toBe(0);
    for (let k = 1; k < 24; k++) expect(lambda(k)).toBeGreaterThan(0);
  });
  it('is monotone: up during warmup, down after', () => {
    for (let k = 1; k <= 4; k++) expect(lambda(k)).toBeGreaterThan(lambda(k - 1));
    for (let k = 5; k <= 24; k++) expect(lambda(k)).toBeLessThan(lambda(k - 1));
  });
  it('without warmup starts at the peak', () => {
    const noWarmup = cosineWithWarmup({ warmupSteps: 0, totalSteps: 10 });
    expect(noWarmup(0)).toBe(1);
    expect(noWarmup(10)).toBe(0);
  });
  it('rejects non-integer or negative steps', () => {
    expect(() => cosineWithWarmup({ warmupSteps: 1.5, totalSteps: 10 })).toThrow(TrainError);
    expect(() => cosineWithWarmup({ warmupSteps: 0, totalSteps: -1 })).toThrow(/integers/);
  });
});

describe('linearWithWarmup / constantWithWarmup', () => {
  it.each([
    [0, 0],
    [1, 0.5],
    [2, 1],
    [6, 0.5],
    [10, 0],
    [12, 0], // clamped at 0 past the end
  ])('linear lambda(%i) = %f', (step, expected) => {
    expect(linearWithWarmup({ warmupSteps: 2, totalSteps: 10 })(step)).toBe(expected);
  });
  it.each([
    [0, 0],
    [1, 0.25],
    [3, 0.75],
    [4, 1],
    [1000, 1],
  ])('constant lambda(%i) = %f', (step, expected) => {
    expect(constantWithWarmup({ warmupSteps: 4 })(step)).toBe(expected);
  });
});
