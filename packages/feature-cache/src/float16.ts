/**
 * IEEE 754 binary16 ("half") conversion, exact, with no dependency. Node 20 has no Float16Array, so
 * half tensors live as their bit patterns in a Uint16Array. f32→f16 rounds to nearest, ties to even
 * (what numpy/torch `.half()` do), keeps subnormals, overflows to ±inf and keeps NaN a NaN.
 */

// One scratch word shared by the scalar functions: reinterpreting a float's bits without DataView.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Largest finite half value (0x7bff). */
export const FLOAT16_MAX = 65504;
/** Smallest positive subnormal half value 2^-24 (0x0001). */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;
/** Smallest positive normal half value 2^-14 (0x0400). */
export const FLOAT16_MIN_NORMAL = 2 ** -14;

/** The half bit pattern nearest to the float32 whose bits are `bits` (round to nearest, ties to even). */
function halfFromF32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) {
    // inf stays inf; NaN keeps its top payload bits and the quiet bit so it never becomes inf.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Half subnormal (or zero). Below 2^-25 everything rounds to ±0 (2^-25 itself is a tie → even 0).
    if (e < -10) return sign;
    const m = mant | 0x800000; // implicit leading one of the float32 normal
    const shift = 14 - e; // 14..24
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h++; // may carry into the smallest normal: correct
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry may reach 0x7c00 = inf: correct
  return sign | h;
}

/** float32 bits of the half whose bits are `h` (every half is exactly representable in float32). */
function f32BitsFromHalf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // Subnormal: normalise the mantissa into a float32 normal.
    let e = 113; // 127 - 15 + 1
    let m = mant;
    while ((m & 0x400) === 0) {
      m <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
  }
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** The half bit pattern nearest to `x` (which is first rounded to float32, as a Float32Array would). */
export function float32ToFloat16Bits(x: number): number {
  scratchF32[0] = x;
  return halfFromF32Bits(scratchU32[0] ?? 0);
}

/** The value of the half whose bit pattern is `h` (0..0xffff). */
export function float16BitsToFloat32(h: number): number {
  scratchU32[0] = f32BitsFromHalf(h & 0xffff);
  return scratchF32[0] ?? 0;
}

/** Converts a whole tensor to half bits. */
export function float32ArrayToFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfFromF32Bits(bits[i] ?? 0);
  return out;
}

/** Converts half bits back to a Float32Array (exact). */
export function float16ToFloat32Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = f32BitsFromHalf(src[i] ?? 0);
  return out;
}

/**
 * The largest error float32→float16→float32 may introduce at `x`: half an ulp of the half grid
 * (2^-25 in the subnormal range), or Infinity where `x` overflows past the largest half.
 */
export function float16RoundingBound(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return 0;
  if (a >= FLOAT16_MAX + 16) return Infinity; // 65520 and above round to inf
  if (a < FLOAT16_MIN_NORMAL) return 2 ** -25;
  scratchF32[0] = a; // the exponent from the float32 bits, not Math.log2 (inexact near powers of two)
  const exponent = (((scratchU32[0] ?? 0) >>> 23) & 0xff) - 127;
  return 2 ** (exponent - 11);
}
