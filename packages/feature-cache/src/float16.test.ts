import { describe, expect, it } from 'vitest';
import {
  FLOAT16_MAX,
  FLOAT16_MIN_SUBNORMAL,
  float16BitsToFloat32,
  float16RoundingBound,
  float16ToFloat32Array,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
} from './float16.js';

const hex = (n: number) => '0x' + n.toString(16).padStart(4, '0');

describe('float32ToFloat16Bits (known bit patterns)', () => {
  const table: [string, number, number][] = [
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1.0', 1, 0x3c00],
    ['-2.0', -2, 0xc000],
    ['0.5', 0.5, 0x3800],
    ['largest finite 65504', 65504, 0x7bff],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['1/3 rounds to nearest', 1 / 3, 0x3555],
    ['tie 1+2^-11 rounds down to even 1.0', 1 + 2 ** -11, 0x3c00],
    ['tie 1+3*2^-11 rounds up to even', 1 + 3 * 2 ** -11, 0x3c02],
    ['just above the tie rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['tie 2049 → 2048 (even)', 2049, 0x6800],
    ['tie 2051 → 2052 (even)', 2051, 0x6802],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520 (tie) overflows to inf', 65520, 0x7c00],
    ['1e6 overflows to +inf', 1e6, 0x7c00],
    ['-1e6 overflows to -inf', -1e6, 0xfc00],
    ['+inf', Infinity, 0x7c00],
    ['-inf', -Infinity, 0xfc00],
    ['2^-25 (tie) rounds to even 0', 2 ** -25, 0x0000],
    ['just above 2^-25 rounds to 2^-24', 2 ** -25 * (1 + 2 ** -10), 0x0001],
    ['1.5*2^-24 (tie) rounds to even 2*2^-24', 1.5 * 2 ** -24, 0x0002],
    ['2.5*2^-24 (tie) rounds to even 2*2^-24', 2.5 * 2 ** -24, 0x0002],
    ['1e-10 underflows to 0', 1e-10, 0x0000],
    ['-1e-10 underflows to -0', -1e-10, 0x8000],
    ['largest subnormal + half ulp (tie) carries into smallest normal', 1023.5 * 2 ** -24, 0x0400],
  ];
  it.each(table)('%s', (_name, x, bits) => {
    expect(hex(float32ToFloat16Bits(x))).toBe(hex(bits));
  });

  it('NaN stays NaN (either sign, any payload)', () => {
    for (const x of [NaN, -NaN]) {
      const h = float32ToFloat16Bits(x);
      expect(h & 0x7c00).toBe(0x7c00);
      expect(h & 0x3ff).not.toBe(0);
      expect(float16BitsToFloat32(h)).toBeNaN();
    }
    // A signalling-ish NaN whose payload lives only in the low bits must not turn into inf.
    const f = new Float32Array(1);
    new Uint32Array(f.buffer)[0] = 0x7f800001;
    expect(float16BitsToFloat32(float32ToFloat16Bits(f[0] ?? 0))).toBeNaN();
  });
});

describe('float16BitsToFloat32', () => {
  const table: [number, number][] = [
    [0x3c00, 1],
    [0x7bff, FLOAT16_MAX],
    [0x0001, FLOAT16_MIN_SUBNORMAL],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x3555, 0.333251953125],
    [0xc000, -2],
  ];
  it.each(table)('%i', (bits, value) => {
    expect(Object.is(float16BitsToFloat32(bits), value)).toBe(true);
  });
  it('0x7e00 is NaN', () => expect(float16BitsToFloat32(0x7e00)).toBeNaN());

  it('every half bit pattern survives half→float→half exactly (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ArrayToFloat16(float16ToFloat32Array(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) expect(Number.isNaN(float16BitsToFloat32(back[h] ?? 0))).toBe(true);
      else if (back[h] !== h) expect(hex(back[h] ?? -1)).toBe(hex(h));
    }
  });
});

describe('float16RoundingBound', () => {
  it('bounds the round-trip error and is attained (ties) on a dense sweep', () => {
    const xs = new Float32Array(200_000);
    for (let i = 0; i < xs.length; i++) xs[i] = Math.sign((i % 2) - 0.5) * Math.exp((i / xs.length) * 30 - 20);
    const back = float16ToFloat32Array(float32ArrayToFloat16(xs));
    let worstRatio = 0;
    let worstAt = -1;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] ?? 0;
      const bound = float16RoundingBound(x);
      if (!Number.isFinite(bound)) continue;
      const ratio = Math.abs(x - (back[i] ?? 0)) / bound;
      if (ratio > worstRatio) [worstRatio, worstAt] = [ratio, i];
    }
    expect(worstRatio, `worst at x=${xs[worstAt]}`).toBeLessThanOrEqual(1);
    // The bound is tight: some values land close to half an ulp away.
    expect(worstRatio).toBeGreaterThan(0.99);
  });
  it('is infinite past the largest half, 2^-25 among subnormals', () => {
    expect(float16RoundingBound(65520)).toBe(Infinity);
    expect(float16RoundingBound(1e-7)).toBe(2 ** -25);
    expect(float16RoundingBound(1)).toBe(2 ** -11);
  });
});
