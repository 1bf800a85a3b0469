/** max |a − b| over max |b|: how far a benchmark variant's output is from the reference variant's (the same sums in another order). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let j = 0; j < b.length; j++) {
    num = Math.max(num, Math.abs(a[j]! - b[j]!));
    den = Math.max(den, Math.abs(b[j]!));
  }
  return num / den;
}
