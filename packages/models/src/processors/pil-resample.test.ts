import { describe, expect, it } from 'vitest';
import { PIL_FILTERS, fixedPointWeights, pilResize, precomputeCoeffs, type PilFilterId } from './pil-resample.js';

/** Resample.c's 8-bit pass written as its plain loops (line, output pixel, channel, tap): the oracle. */
function plainPass8(
  src: Uint8Array,
  [w, h, ch]: [number, number, number],
  inSize: number,
  outSize: number,
  filter: PilFilterId,
  horizontal: boolean,
  q: 'pil' | 'torch',
): Uint8Array {
  const fn = FILTER_FNS[filter]!;
  const c = precomputeCoeffs(inSize, outSize, fn);
  const { k, bits } = fixedPointWeights(c, q);
  const outW = horizontal ? outSize : w;
  const out = new Uint8Array(outW * (horizontal ? h : outSize) * ch);
  for (let line = 0; line < (horizontal ? h : w); line++)
    for (let o = 0; o < outSize; o++)
      for (let chn = 0; chn < ch; chn++) {
        let ss = bits > 0 ? 2 ** (bits - 1) : 0;
        for (let i = 0; i < c.bounds[o * 2 + 1]!; i++) {
          const x = c.bounds[o * 2]! + i;
          ss += src[horizontal ? (line * w + x) * ch + chn : (x * w + line) * ch + chn]! * k[o * c.ksize + i]!;
        }
        const v = ss <= 0 ? 0 : ss >= 2 ** bits * 256 ? 255 : Math.floor(ss / 2 ** bits);
        out[horizontal ? (line * outW + o) * ch + chn : (o * outW + line) * ch + chn] = v;
      }
  return out;
}

/** The filters as Pillow defines them (Resample.c), for the oracle. */
const FILTER_FNS: Partial<Record<PilFilterId, { support: number; fn: (x: number) => number }>> = {
  [PIL_FILTERS.BILINEAR]: { support: 1, fn: (x) => Math.max(0, 1 - Math.abs(x)) },
  [PIL_FILTERS.BICUBIC]: {
    support: 2,
    fn: (v) => {
      const x = Math.abs(v);
      return x < 1 ? (1.5 * x - 2.5) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * -0.5 : 0;
    },
  },
};

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

  it.each([
    [37, 23, 3, 16, 11, PIL_FILTERS.BICUBIC],
    [40, 30, 3, 61, 17, PIL_FILTERS.BICUBIC],
    [33, 19, 1, 20, 40, PIL_FILTERS.BILINEAR],
    [64, 36, 3, 30, 17, PIL_FILTERS.BILINEAR],
  ] as const)('%i×%i×%i → %i×%i (filter %i) equals the plain loops, bit for bit', (w, h, ch, ow, oh, filter) => {
    let seed = 7;
    const src = Uint8Array.from(
      { length: w * h * ch },
      () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 255,
    );
    for (const q of ['pil', 'torch'] as const) {
      const mid = plainPass8(src, [w, h, ch], w, ow, filter, true, q);
      const expected = plainPass8(mid, [ow, h, ch], h, oh, filter, false, q);
      const got = pilResize({ width: w, height: h, channels: ch, data: src }, ow, oh, filter, 'uint8', q);
      expect(got.data).toEqual(expected);
    }
  });

  it.each([
    [40, 30, 25, 20, { x: 3, y: 2, width: 20, height: 16 }],
    [40, 30, 40, 18, { x: 5, y: 1, width: 30, height: 16 }], // width kept: cut, not resampled
    [40, 30, 23, 30, { x: 0, y: 4, width: 23, height: 20 }], // height kept
    [40, 30, 60, 45, { x: 10, y: 7, width: 40, height: 30 }], // upscale
  ] as const)('%i×%i → %i×%i, window %j: the crop of the whole resize, bit for bit', (w, h, ow, oh, win) => {
    let seed = 11;
    const data = Uint8Array.from(
      { length: w * h * 3 },
      () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 255,
    );
    const img = { width: w, height: h, channels: 3, data };
    for (const [mode, q] of [
      ['uint8', 'pil'],
      ['uint8', 'torch'],
      ['float', 'pil'],
    ] as const) {
      const whole = pilResize(img, ow, oh, PIL_FILTERS.BICUBIC, mode, q);
      const crop = new Uint8Array(win.width * win.height * 3);
      for (let y = 0; y < win.height; y++)
        crop.set(
          whole.data.subarray(((win.y + y) * ow + win.x) * 3, ((win.y + y) * ow + win.x + win.width) * 3),
          y * win.width * 3,
        );
      const got = pilResize(img, ow, oh, PIL_FILTERS.BICUBIC, mode, q, win);
      expect([got.width, got.height]).toEqual([win.width, win.height]);
      expect(got.data).toEqual(crop);
    }
  });

  it('rejects a window outside the resized image', () => {
    const img = { width: 4, height: 4, channels: 3, data: new Uint8Array(48) };
    expect(() =>
      pilResize(img, 2, 2, PIL_FILTERS.BILINEAR, 'uint8', 'pil', { x: 1, y: 0, width: 2, height: 2 }),
    ).toThrow(RangeError);
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
