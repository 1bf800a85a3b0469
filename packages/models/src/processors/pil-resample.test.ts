import { describe, expect, it } from 'vitest';
import { PIL_FILTERS, pilResize, precomputeCoeffs } from './pil-resample.js';

const row = (values: number[]) => ({ width: values.length, height: 1, channels: 1, data: Uint8Array.from(values) });

describe('pilResize (Pillow ImagingResample semantics)', () => {
  // Hand-computed from Resample.c: support scaled by the downscale factor, window bounds
  // rounded with (int)(center ± support + 0.5), weights normalised per output pixel.
  it.each([
    [
      'bilinear 4→2 (support 2: weights 3/7,3/7,1/7 and 1/7,3/7,3/7)',
      [0, 100, 200, 255],
      2,
      PIL_FILTERS.BILINEAR,
      [71, 209],
    ],
    ['bilinear 2→4 (upscale: support 1, edge pixels clamp)', [0, 255], 4, PIL_FILTERS.BILINEAR, [0, 64, 191, 255]],
    ['box 4→2 (mean of pairs)', [10, 20, 30, 50], 2, PIL_FILTERS.BOX, [15, 40]],
    ['bicubic on a constant row stays constant', [200, 200, 200, 200, 200], 3, PIL_FILTERS.BICUBIC, [200, 200, 200]],
  ] as const)('%s', (_name, input, width, filter, expected) => {
    for (const q of ['pil', 'torch'] as const) {
      expect([...pilResize(row([...input]), width, 1, filter, 'uint8', q).data]).toEqual(expected);
    }
  });

  it('clamps bicubic overshoot to 0..255 after each pass', () => {
    const out = pilResize(row([0, 0, 255, 255, 0, 0, 255, 255]), 5, 1, PIL_FILTERS.BICUBIC);
    expect(out.data.every((v) => v >= 0 && v <= 255)).toBe(true);
  });

  it('returns a copy when the size does not change', () => {
    const img = { width: 2, height: 2, channels: 3, data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) };
    const out = pilResize(img, 2, 2, PIL_FILTERS.BICUBIC);
    expect([...out.data]).toEqual([...img.data]);
    expect(out.data).not.toBe(img.data);
  });

  it('rejects NEAREST and bad sizes', () => {
    expect(() => pilResize(row([1, 2]), 1, 1, PIL_FILTERS.NEAREST)).toThrow(RangeError);
    expect(() => pilResize(row([1, 2]), 0, 1, PIL_FILTERS.BILINEAR)).toThrow(RangeError);
  });
});

describe('precomputeCoeffs', () => {
  it.each([
    [640, 320, PIL_FILTERS.BICUBIC, 9],
    [640, 597, PIL_FILTERS.BICUBIC, 7],
    [360, 384, PIL_FILTERS.BILINEAR, 3],
    [640, 384, PIL_FILTERS.BILINEAR, 5],
  ] as const)('%i→%i filter %i: window %i, weights sum to 1', (inSize, outSize, filter, ksize) => {
    const support = { [PIL_FILTERS.BICUBIC]: 2, [PIL_FILTERS.BILINEAR]: 1 }[filter];
    const c = precomputeCoeffs(inSize, outSize, {
      support,
      fn: (x) =>
        filter === PIL_FILTERS.BILINEAR
          ? Math.max(0, 1 - Math.abs(x))
          : Math.abs(x) < 1
            ? 1.5 * Math.abs(x) ** 3 - 2.5 * x * x + 1
            : Math.abs(x) < 2
              ? -0.5 * Math.abs(x) ** 3 + 2.5 * x * x - 4 * Math.abs(x) + 2
              : 0,
    });
    expect(c.ksize).toBe(ksize);
    for (let o = 0; o < outSize; o++) {
      let s = 0;
      for (let i = 0; i < c.ksize; i++) s += c.weights[o * c.ksize + i]!;
      expect(s).toBeCloseTo(1, 12);
      expect(c.bounds[o * 2]! + c.bounds[o * 2 + 1]!).toBeLessThanOrEqual(inSize);
    }
  });
});
