/**
 * The start-up self-test: runs the linear layer's three products on a tiny awkward shape with
 * each candidate variant and keeps the first that matches a CPU reference within the derived f16
 * bound. The subgroup-matrix variant is tried only when the device has the feature; a failure
 * (compile error, GPU error, wrong numbers) falls back to the portable variant with a warning.
 * The NF4 GEMM (nf4-gemm.ts) is chosen the same way, on its two products.
 */
import * as tf from '@tensorflow/tfjs-core';
import { f16GemmBound } from './f16-tolerance.js';
import { gemm, setGemmVariant } from './gemm.js';
import type { GemmVariant } from './gemm-variant.js';
import { nf4SelfTestRatio } from './nf4-self-test.js';
import { setNf4GemmVariant } from './nf4-gemm.js';
import { webgpuBackend } from './webgpu-internals.js';

export interface GemmSelection {
  /** The variant now used by gemm(), or undefined when none passed. */
  readonly variant: GemmVariant | undefined;
  /** The variant now used by nf4Gemm(), or undefined when none passed. */
  readonly nf4Variant: GemmVariant | undefined;
  readonly warnings: readonly string[];
}

const M = 19,
  N = 21,
  K = 35; // not multiples of 16: exercises padding and edge stores

/** Worst |gpu − cpu| / bound over the three products; ≤ 1 passes. */
async function worstRatio(variant: GemmVariant): Promise<number> {
  const val = (i: number, s: number) => (((i * s) % 17) - 8) / 8;
  const x = Float32Array.from({ length: M * K }, (_, i) => val(i, 7));
  const w = Float32Array.from({ length: N * K }, (_, i) => val(i, 5));
  const dy = Float32Array.from({ length: M * N }, (_, i) => val(i, 3));
  // [gpu, a (m×k row-major), b (k×n row-major), m, n, k] for y = x·Wᵀ, dx = dy·W, dW = dyᵀ·x
  const tr = (a: Float32Array, r: number, c: number) =>
    Float32Array.from({ length: r * c }, (_, i) => a[(i % r) * c + Math.floor(i / r)]!);
  const cases = tf.tidy(() => {
    const tx = tf.tensor2d(x, [M, K]),
      tw = tf.tensor2d(w, [N, K]),
      tdy = tf.tensor2d(dy, [M, N]);
    return [
      [gemm(tx, tw, { transB: true, variant }), x, tr(w, N, K), M, N, K],
      [gemm(tdy, tw, { variant }), dy, w, M, K, N],
      [gemm(tdy, tx, { transA: true, variant }), tr(dy, M, N), x, N, K, M],
    ] as const;
  });
  let worst = 0;
  for (const [t, a, b, m, n, k] of cases) {
    const got = await t.data();
    t.dispose();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0,
          sabs = 0,
          sa = 0,
          sb = 0;
        for (let q = 0; q < k; q++) {
          const p = a[i * k + q]!,
            r = b[q * n + j]!;
          s += p * r;
          sabs += Math.abs(p * r);
          sa += Math.abs(p);
          sb += Math.abs(r);
        }
        worst = Math.max(worst, Math.abs(got[i * n + j]! - s) / f16GemmBound(sabs, sa, sb, k));
      }
    }
  }
  return worst;
}

/** The first candidate whose products pass (`ratio` ≤ 1, no GPU error), or undefined; failures warn. */
async function firstPassing(
  what: string,
  candidates: readonly GemmVariant[],
  ratio: (v: GemmVariant) => Promise<number>,
  warnings: string[],
): Promise<GemmVariant | undefined> {
  const device = webgpuBackend().device;
  for (const variant of candidates) {
    let why: string | undefined;
    device.pushErrorScope('validation');
    try {
      const r = await ratio(variant);
      if (!(r <= 1)) why = `results off by ${r.toFixed(2)}× the derived f16 bound`;
    } catch (err) {
      why = (err as Error).message;
    }
    const gpuError = await device.popErrorScope();
    why ??= gpuError?.message;
    if (!why) return variant;
    warnings.push(`${what} ${variant} variant failed its self-test (${why.split('\n')[0]}); falling back`);
  }
  return undefined;
}

/** `candidates` defaults to what the device offers, best first (tests pass their own). */
export async function selectGemmVariant(candidates?: readonly GemmVariant[]): Promise<GemmSelection> {
  const device = webgpuBackend().device;
  candidates ??= device.features.has('chromium-experimental-subgroup-matrix')
    ? ['subgroup-matrix', 'portable']
    : ['portable'];
  const warnings: string[] = [];
  const variant = await firstPassing('f16 GEMM', candidates, worstRatio, warnings);
  setGemmVariant(variant);
  const nf4Variant = await firstPassing('NF4 GEMM', candidates, nf4SelfTestRatio, warnings);
  setNf4GemmVariant(nf4Variant);
  return { variant, nf4Variant, warnings };
}
