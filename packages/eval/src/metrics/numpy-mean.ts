/**
 * The mean numpy computes for a float64 array (`np.mean`): pairwise summation with numpy's
 * unrolled blocks of 8 and block size 128, then one division. Reproducing the summation order
 * keeps corpus scores bit-identical with Python's, not just close.
 */

const BLOCK = 128;

function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i] as number;
    return res;
  }
  if (n <= BLOCK) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => a[start + k] as number);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] = (r[k] as number) + (a[start + i + k] as number);
    const [r0, r1, r2, r3, r4, r5, r6, r7] = r as [number, number, number, number, number, number, number, number];
    // prettier-ignore
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.mean(values)` for a non-empty list; NaN for an empty one (numpy warns and returns nan). */
export function numpyMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return pairwiseSum(values, 0, values.length) / values.length;
}
