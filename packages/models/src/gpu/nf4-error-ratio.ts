/**
 * Measures an NF4 GEMM result against the CPU reference (W dequantized on the host in f32, the
 * product summed in f64), in units of the derived f16 bound (f16-tolerance.ts): the bound already
 * covers rounding both the activations and the dequantized weight to f16, which is all the
 * tensor-core kernel adds to the reference. ≤ 1 passes. Used by the tests, the start-up self-test
 * and the benchmark (which passes a sample of entries).
 */
import { f16GemmBound } from './f16-tolerance.js';

/**
 * `got` is C [m, n] row-major; `a(i, q)` reads A, `w(q, j)` reads op(W) (so the forward passes
 * (q, j) => W[j, q]). `entries` defaults to all of C.
 */
export function nf4ErrorRatio(
  got: (i: number, j: number) => number,
  a: (i: number, q: number) => number,
  w: (q: number, j: number) => number,
  k: number,
  entries: Iterable<readonly [number, number]>,
): number {
  let worst = 0;
  for (const [i, j] of entries) {
    let s = 0,
      sabs = 0,
      sa = 0,
      sb = 0;
    for (let q = 0; q < k; q++) {
      const p = a(i, q),
        r = w(q, j);
      s += p * r;
      sabs += Math.abs(p * r);
      sa += Math.abs(p);
      sb += Math.abs(r);
    }
    worst = Math.max(worst, Math.abs(got(i, j) - s) / f16GemmBound(sabs, sa, sb, k));
  }
  return worst;
}

/** Every (i, j) of an m×n result. */
export function* allEntries(m: number, n: number): Generator<readonly [number, number]> {
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) yield [i, j];
}
