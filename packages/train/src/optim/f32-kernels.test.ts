import { describe, expect, it } from 'vitest';
import { addcdivF32, addcmulF32, fmaF32, l2NormF32, lerpF32 } from './f32-kernels.js';

const f = Math.fround;

describe('fmaF32: correctly rounded float32 fused multiply-add', () => {
  const a = 1 + 2 ** -12; // a*a = 1 + 2^-11 + 2^-24: the 2^-24 is exactly half a float32 ulp
  it.each([
    ['keeps the low product bits a separate rounding loses', a, a, -(1 + 2 ** -11), 2 ** -24],
    ['rounds a float32 tie pushed up by a tiny addend up', a, a, 2 ** -80, 1 + 2 ** -11 + 2 ** -23],
    ['rounds a float32 tie pushed down by a tiny addend down', a, a, -(2 ** -80), 1 + 2 ** -11],
    ['is plain multiply-add on exact values', 3, 4, 5, 17],
  ])('%s', (_label, x, y, z, expected) => {
    expect(fmaF32(x, y, z)).toBe(expected);
  });
  it('differs from two roundings where it should', () => {
    expect(f(f(a * a) - (1 + 2 ** -11))).toBe(0);
  });
  it('propagates inf and nan', () => {
    expect(fmaF32(Infinity, 1, 1)).toBe(Infinity);
    expect(fmaF32(NaN, 1, 1)).toBeNaN();
  });
});

describe('torch element kernels', () => {
  it('lerp: small weight uses self + w*(end-self), large weight end - (end-self)*(1-w)', () => {
    expect(lerpF32(0, 10, f(0.1))).toBe(f(f(0.1) * 10));
    expect(lerpF32(2, 4, 0.75)).toBe(3.5);
    expect(lerpF32(2, 4, 1)).toBe(4);
  });
  it('addcmul / addcdiv', () => {
    expect(addcmulF32(1, 2, 3, 0.5)).toBe(4);
    expect(addcdivF32(1, 3, 2, -2)).toBe(-2);
  });
});

describe('l2NormF32 (torch CPU vector_norm, float32)', () => {
  it.each([
    [[3, 4], 5],
    [[0, 0, 0], 0],
    [new Array(16).fill(1), 4],
    [new Array(20).fill(1), f(Math.sqrt(20))],
    [new Array(100).fill(2), 20],
  ])('norm of %j', (values, expected) => {
    expect(l2NormF32(values)).toBe(expected);
  });
  it('agrees with a float64 norm to float32 precision on a long vector', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const exact = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
    expect(Math.abs(l2NormF32(x) - exact) / exact).toBeLessThan(1e-6);
  });
  it('overflows to inf like float32 accumulation does', () => {
    expect(l2NormF32([1e20, 1])).toBe(Infinity);
  });
});
