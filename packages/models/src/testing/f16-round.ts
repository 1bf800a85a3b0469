/**
 * IEEE binary16 on the host, for tests of kernels that round to f16 (KV cache rows): the bits of a number's
 * nearest half (ties to even; overflow to ±∞, NaN kept), and a half's value.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const exp = e - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00;
  // Subnormal halves (and zero): the 24-bit significand shifted into 10 bits.
  const sig = exp <= 0 ? mant | 0x800000 : mant;
  const shift = exp <= 0 ? 14 - exp : 13;
  if (shift > 24) return sign;
  let r = sig >>> shift;
  const rem = sig & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && r & 1)) r++;
  // A carry out of the significand moves into the exponent (up to ∞), as the bit layout makes it.
  return sign | ((exp <= 0 ? 0 : exp << 10) + r);
}

export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}

/** x rounded to the nearest half. */
export const f16Round = (x: number): number => halfValue(halfBits(x));
