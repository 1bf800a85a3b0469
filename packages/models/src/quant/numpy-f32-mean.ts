/**
 * numpy's `a.mean(dtype=float32)` of a contiguous f32 vector, bit for bit: `np.add.reduce` sums in
 * f32 with numpy's pairwise summation (blocks of ≤128 summed by 8 interleaved accumulators, larger
 * ranges split in halves rounded down to a multiple of 8; pairwise_sum in loops_utils.h.src), adds
 * that to the reduction's identity 0, then divides by the count. Double quantization's offset is
 * this mean, so matching it keeps the reference's double-quantized codes equal, not merely close.
 */

const f = Math.fround;

function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = -0;
    for (let i = 0; i < n; i++) res = f(res + a[start + i]!);
    return res;
  }
  if (n <= 128) {
    const r = Array.from({ length: 8 }, (_, j) => a[start + j]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f(r[j]! + a[start + i + j]!);
    let res = f(f(f(r[0]! + r[1]!) + f(r[2]! + r[3]!)) + f(f(r[4]! + r[5]!) + f(r[6]! + r[7]!)));
    for (; i < n; i++) res = f(res + a[start + i]!);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f(pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2));
}

/** The f32 mean numpy computes for `a.mean(dtype=np.float32)` (NaN for an empty vector, as numpy). */
export function numpyF32Mean(a: Float32Array): number {
  // The quotient of two f32 values rounded once to f32 (f64 division then rounding is the same: 53 ≥ 2·24 + 2).
  return f(f(0 + pairwiseSum(a, 0, a.length)) / a.length);
}
