import { describe, expect, it } from 'vitest';
import { uniformIndices } from './uniform-indices.js';

// Values from numpy 2.x: np.linspace(0, total - 1, n).astype(int)
const TABLE: [number, number, number[]][] = [
  [5, 8, [0, 0, 1, 1, 2, 2, 3, 4]],
  [3, 8, [0, 0, 0, 0, 1, 1, 1, 2]],
  [1, 8, [0, 0, 0, 0, 0, 0, 0, 0]],
  [16, 1, [0]],
  [10, 3, [0, 4, 9]],
  [7, 7, [0, 1, 2, 3, 4, 5, 6]],
  [100, 8, [0, 14, 28, 42, 56, 70, 84, 99]],
  // float rounding: i*step falls just below the exact integer (exact arithmetic would give 15 and 30)
  [31, 23, [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 19, 20, 21, 23, 24, 25, 27, 28, 30]],
  [61, 23, [0, 2, 5, 8, 10, 13, 16, 19, 21, 24, 27, 29, 32, 35, 38, 40, 43, 46, 49, 51, 54, 57, 60]],
];

describe('uniformIndices', () => {
  it.each(TABLE)('total=%i n=%i', (total, n, expected) => {
    expect(uniformIndices(total, n)).toEqual(expected);
  });

  it('always starts at 0, ends at total-1 and never decreases', () => {
    for (let total = 1; total < 60; total++) {
      for (let n = 1; n < 20; n++) {
        const idx = uniformIndices(total, n);
        expect(idx).toHaveLength(n);
        expect(idx[0]).toBe(0);
        if (n > 1) expect(idx[n - 1]).toBe(total - 1);
        for (let i = 1; i < n; i++) expect(idx[i]!).toBeGreaterThanOrEqual(idx[i - 1]!);
      }
    }
  });

  it('rejects bad arguments with a typed error', () => {
    expect(() => uniformIndices(0, 8)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => uniformIndices(5, 0)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => uniformIndices(2.5, 3)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});
