import { describe, expect, it } from 'vitest';
import { f16GemmBound } from './f16-tolerance.js';

/** f16 rounding as the GPU may do it: to nearest, or toward zero (the worst faithful rounding), subnormals flushed. */
function toF16(x: number, mode: 'nearest' | 'trunc'): number {
  const a = Math.abs(x);
  if (a < 2 ** -14) return 0; // flush to zero: the bound must cover it
  const e = Math.floor(Math.log2(a));
  const ulp = 2 ** (e - 10);
  const q = mode === 'nearest' ? Math.round(a / ulp) * ulp : Math.floor(a / ulp) * ulp;
  return Math.sign(x) * q;
}

/** f16 inputs, products exact, accumulation in f32 (Math.fround after each add), vs the f32 reference. */
function worstRatio(k: number, mode: 'nearest' | 'trunc', positive: boolean, seed: number): number {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  // magnitudes from 1e-6 to 2, so that flushed subnormals and normal values both occur
  const val = () => (positive || rnd() < 0.5 ? 1 : -1) * 2 * 10 ** (-6 * rnd() ** 3);
  let worst = 0;
  for (let trial = 0; trial < 20; trial++) {
    const a = Array.from({ length: k }, val),
      b = Array.from({ length: k }, val);
    let gpu = 0,
      ref = 0,
      abs = 0,
      sa = 0,
      sb = 0;
    for (let i = 0; i < k; i++) {
      gpu = Math.fround(gpu + toF16(a[i]!, mode) * toF16(b[i]!, mode));
      ref = Math.fround(ref + Math.fround(Math.fround(a[i]!) * Math.fround(b[i]!)));
      abs += Math.abs(a[i]! * b[i]!);
      sa += Math.abs(a[i]!);
      sb += Math.abs(b[i]!);
    }
    worst = Math.max(worst, Math.abs(gpu - ref) / f16GemmBound(abs, sa, sb, k));
  }
  return worst;
}

describe('f16GemmBound (the derived tolerance)', () => {
  for (const k of [1, 70, 1000, 4096]) {
    it(`holds for K=${k} under round-to-nearest and round-toward-zero, subnormals flushed`, () => {
      for (const mode of ['nearest', 'trunc'] as const) {
        for (const positive of [false, true]) expect(worstRatio(k, mode, positive, k + 1)).toBeLessThanOrEqual(1);
      }
    });
  }

  it('is not vacuous: coherent truncation errors use a good part of it', () => {
    // all-positive inputs rounded toward zero: every product errs the same way
    expect(worstRatio(1000, 'trunc', true, 7)).toBeGreaterThan(0.1);
  });
});
