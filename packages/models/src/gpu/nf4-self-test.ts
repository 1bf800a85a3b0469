/**
 * The NF4 GEMM's part of the start-up self-test (select-gemm-variant.ts): both products of a
 * frozen NF4 linear layer on a tiny awkward shape against the CPU, in units of the derived f16
 * bound. K = 72 is a multiple of 8 but not of 64, so the kernels' word path runs and blocks
 * straddle rows; 19 and 21 are not multiples of any tile.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GemmVariant } from './gemm-variant.js';
import { nf4Gemm } from './nf4-gemm.js';
import { allEntries, nf4ErrorRatio } from './nf4-error-ratio.js';
import { hostNf4 } from './nf4-host.js';

const M = 19,
  OUT = 21,
  IN = 72;

/** Worst |gpu − cpu| / bound over y = x·Wᵀ and dx = dy·W; ≤ 1 passes. */
export async function nf4SelfTestRatio(variant: GemmVariant): Promise<number> {
  const codes = Uint8Array.from({ length: OUT * IN }, (_, i) => (i * 7 + (i >> 4)) % 16);
  const absmax = Float32Array.from({ length: Math.ceil((OUT * IN) / 64) }, (_, i) => 0.25 + ((i * 5) % 11) / 8);
  const w = hostNf4(codes, absmax, OUT, IN);
  const val = (i: number, s: number) => (((i * s) % 17) - 8) / 8;
  const x = Float32Array.from({ length: M * IN }, (_, i) => val(i, 7));
  const dy = Float32Array.from({ length: M * OUT }, (_, i) => val(i, 3));
  let worst = 0;
  try {
    for (const [a, k, n, forward] of [
      [x, IN, OUT, true],
      [dy, OUT, IN, false],
    ] as const) {
      const t = tf.tensor2d(a, [M, k]);
      const c = nf4Gemm(t, w.matrix, { transB: forward, variant });
      t.dispose();
      const got = await c.data();
      c.dispose();
      const wAt = forward ? (q: number, j: number) => w.at(j, q) : (q: number, j: number) => w.at(q, j);
      const r = nf4ErrorRatio(
        (i, j) => got[i * n + j]!,
        (i, q) => a[i * k + q]!,
        wAt,
        k,
        allEntries(M, n),
      );
      worst = Math.max(worst, r);
    }
  } finally {
    w.matrix.dispose();
  }
  return worst;
}
