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

/**
 * The shared start-up selection: runs `worstRatio` (≤ 1 passes) for each candidate in order,
 * inside a GPU validation error scope, and returns the first that passes, with one warning per
 * failure (compile error, GPU error, wrong numbers). The fused attention kernels use it too.
 */
export async function selectKernelVariant<V extends string>(
  what: string,
  candidates: readonly V[],
  worstRatio: (variant: V) => Promise<number>,
): Promise<{ variant: V | undefined; warnings: string[] }> {
  const device = webgpuBackend().device;
  const warnings: string[] = [];
  for (const variant of candidates) {
    let why: string | undefined;
    device.pushErrorScope('validation');
    try {
      const ratio = await worstRatio(variant);
      if (!(ratio <= 1)) why = `results off by ${ratio.toFixed(2)}× the derived bound`;
    } catch (err) {
      why = (err as Error).message;
    }
    const gpuError = await device.popErrorScope();
    why ??= gpuError?.message;
    if (!why) return { variant, warnings };
    warnings.push(`${what} ${variant} variant failed its self-test (${why.split('\n')[0]}); falling back`);
  }
  return { variant: undefined, warnings };
}

/** `candidates` defaults to what the device offers, best first (tests pass their own). */
export async function selectGemmVariant(candidates?: readonly GemmVariant[]): Promise<GemmSelection> {
  const device = webgpuBackend().device;
  candidates ??= device.features.has('chromium-experimental-subgroup-matrix')
    ? ['subgroup-matrix', 'portable']
    : ['portable'];
  const f16 = await selectKernelVariant('f16 GEMM', candidates, worstRatio);
  setGemmVariant(f16.variant);
  const nf4 = await selectKernelVariant('NF4 GEMM', candidates, nf4SelfTestRatio);
  setNf4GemmVariant(nf4.variant);
  return { variant: f16.variant, nf4Variant: nf4.variant, warnings: [...f16.warnings, ...nf4.warnings] };
}
