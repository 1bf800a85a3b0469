import { describe, expect, it } from 'vitest';
import { TrainError } from '../errors.js';
import { clipGradNorm, globalGradNorm } from './clip-grad-norm.js';
import { paramSetFrom } from './param-set.js';

describe('clipGradNorm (torch clip_grad_norm_)', () => {
  it('is the norm of the per-tensor norms', () => {
    expect(globalGradNorm([new Float32Array([3]), new Float32Array([4])])).toBe(5);
    expect(globalGradNorm([new Float32Array([1, 2, 2]), new Float32Array([0, 0, 4])])).toBe(Math.fround(Math.sqrt(25)));
    expect(globalGradNorm([])).toBe(0);
  });

  it('leaves gradients untouched (bit for bit) below maxNorm and returns the norm', () => {
    const grads = paramSetFrom({ a: [0.3, -0.1], b: [0.2] });
    const before = [...grads.get('a')!, ...grads.get('b')!];
    const norm = clipGradNorm(grads, 1.0);
    expect(norm).toBe(Math.fround(Math.sqrt(Math.fround(0.3) ** 2 + Math.fround(0.1) ** 2 + Math.fround(0.2) ** 2)));
    expect([...grads.get('a')!, ...grads.get('b')!]).toEqual(before);
  });

  it('scales every gradient by the same factor above maxNorm and returns the pre-clip norm', () => {
    const grads = paramSetFrom({ a: [3, 0], b: [0, -4] });
    const norm = clipGradNorm(grads, 1.0);
    expect(norm).toBe(5);
    const coef = Math.fround(1 / Math.fround(5 + Math.fround(1e-6)));
    expect([...grads.get('a')!]).toEqual([Math.fround(3 * coef), 0]);
    expect([...grads.get('b')!]).toEqual([0, Math.fround(-4 * coef)]);
    expect(globalGradNorm(grads.values())).toBeCloseTo(1, 6);
  });

  it('clips to maxNorm other than 1', () => {
    const grads = [new Float32Array(40).fill(10)];
    const norm = clipGradNorm(grads, 0.5);
    expect(norm).toBeCloseTo(Math.sqrt(4000), 4);
    expect(globalGradNorm(grads)).toBeCloseTo(0.5, 6);
  });

  it('non-finite norm without errorIfNonfinite: behaves like torch (finite -> 0, inf -> nan)', () => {
    const grads = paramSetFrom({ a: [Infinity, 1], b: [2] });
    expect(clipGradNorm(grads, 1)).toBe(Infinity);
    expect(grads.get('a')![0]).toBeNaN(); // inf * 0
    expect(grads.get('a')![1]).toBe(0);
    expect(grads.get('b')![0]).toBe(0);
    const nan = paramSetFrom({ a: [NaN, 1] });
    expect(clipGradNorm(nan, 1)).toBeNaN();
    expect([...nan.get('a')!].every(Number.isNaN)).toBe(true);
  });

  it('errorIfNonfinite throws E_GRAD_NONFINITE and leaves the gradients alone', () => {
    const grads = paramSetFrom({ a: [NaN, 1] });
    expect(() => clipGradNorm(grads, 1, { errorIfNonfinite: true })).toThrow(TrainError);
    try {
      clipGradNorm(grads, 1, { errorIfNonfinite: true });
    } catch (err) {
      expect((err as TrainError).code).toBe('E_GRAD_NONFINITE');
      expect((err as TrainError).context.tensors).toEqual(['a']);
    }
    expect(grads.get('a')![1]).toBe(1);
    // finite norms pass with the option on
    expect(clipGradNorm(paramSetFrom({ a: [3, 4] }), 10, { errorIfNonfinite: true })).toBe(5);
  });

  it('rejects a negative maxNorm', () => {
    expect(() => clipGradNorm([new Float32Array([1])], -1)).toThrow(/maxNorm/);
  });
});
