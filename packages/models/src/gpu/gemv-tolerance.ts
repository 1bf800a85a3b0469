/**
 * How far the GEMV (f16-gemv.ts, f16 or NF4 weight) may be from tfjs's f32 product of x and the weight's values,
 * plus the LoRA branch y + s·((x·Aᵀ)·Bᵀ), derived (not tuned). The tests of both kernels check against it.
 *
 * x is never rounded (the kernels widen W, never narrow x), so kernel and reference are f32 evaluations of the
 * same sums in different orders. With P = |x|·|W|ᵀ and γ_n = n·u/(1 − n·u), u = 2⁻²⁴ (Higham §3.1):
 * - the reference's product is within γ_K·P of the exact one;
 * - the kernel's within γ_n·P, n its longest chain of roundings: for f16 weights an invocation's K/16 tiles of 8
 *   fmas then at most 32 partial sums (n ≤ K + 32); for NF4 a chain of at most 32 fmas a unit of codes, the fma
 *   that adds it (times its scale, exact inside the fma) to the lane's sum over its ≤ K/8 units, then ≤ 512 lanes'
 *   sums (n ≤ 32 + K/8 + 512);
 * - NF4's reference weight is the host's f32 value fl(v·s), one rounding (u·P) off the kernel's exact v·s.
 * The branch as lora-add.test.ts derives it: (in + r + 1)·u·|s|·PL + u·(|y| + |s|·PL) with PL = (|x|·|A|ᵀ)·|B|ᵀ,
 * plus one rounding of the final add. 1 % on top for first-order terms (P itself computed in f32).
 */
import * as tf from '@tensorflow/tfjs-core';
import { F32_UNIT } from '../testing/uniform-matrix.js';

const U = F32_UNIT;
const gamma = (n: number) => (n * U) / (1 - n * U);

/** The LoRA branch as the kernels take it. */
export interface GemvToleranceLora {
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
  readonly scaling: number;
}

/**
 * a·bᵀ with b transposed first: tfjs-webgpu 4.22's split-K matMul (few output tiles, K ≥ 2000, batch 1) reads a
 * transposed B wrongly (engine/webgpu-matmul-fix.ts; the tests here run with and without that fix installed).
 */
export const matMulT = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, tf.transpose(b) as tf.Tensor2D);

/** tfjs f32: x·Wᵀ (+ s·((x·Aᵀ)·Bᵀ)), W the weight's values in f32. */
export function gemvReference(x: tf.Tensor2D, w: tf.Tensor2D, lora?: GemvToleranceLora): tf.Tensor2D {
  return tf.tidy(() => {
    const y = matMulT(x, w);
    if (!lora) return y;
    return tf.add(y, tf.mul(matMulT(matMulT(x, lora.a), lora.b), lora.scaling)) as tf.Tensor2D;
  });
}

/**
 * The bound per element (above): `kernelChain` the kernel's n, `weightRounding` 1 where the reference's weights
 * are rounded once from the kernel's (NF4), else 0.
 */
export function gemvBound(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  kernelChain: number,
  weightRounding: 0 | 1,
  lora?: GemvToleranceLora,
): tf.Tensor2D {
  return tf.tidy(() => {
    const k = x.shape[1];
    const p = matMulT(tf.abs(x), tf.abs(w));
    let e = tf.mul(p, gamma(k) + gamma(kernelChain) + weightRounding * U);
    if (lora) {
      const s = Math.abs(lora.scaling);
      const pl = tf.mul(matMulT(matMulT(tf.abs(x), tf.abs(lora.a)), tf.abs(lora.b)), s);
      const n = k + lora.a.shape[0] + 1;
      e = tf.add(e, tf.mul(tf.add(tf.mul(pl, n * U), tf.mul(tf.add(p, pl), 2 * U)), 2));
    }
    return tf.mul(e, 1.01) as tf.Tensor2D;
  });
}

/** max |got − ref| / bound over the elements (≤ 1: within the bound). */
export async function worstRatio(got: tf.Tensor, ref: tf.Tensor, lim: tf.Tensor): Promise<number> {
  const [g, r, l] = await Promise.all([got.data(), ref.data(), lim.data()]);
  let worst = 0;
  for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - r[i]!) / l[i]!);
  return worst;
}
