/**
 * How far attention with its products on the f16 GEMM (nn/attention-matmul.ts) may be from the
 * tfjs op in f32: the f32 bound of flash-attention-tolerance.ts (the same f32 roundings) plus what
 * rounding each product's inputs to f16 adds, to first order, with the per-product bound of
 * f16-tolerance.ts: rounding a and b of Σ a·b to f16 moves the sum by at most
 * e·Σ|a||b| + η'·(Σ|a| + Σ|b|), e = 2u + u², η' = η(1 + u) (u = 2⁻¹⁰, η = 2⁻¹⁴). Then
 * - scores x = scale·q·kᵀ: off by δ16 = scale·max(e·|q||k|ᵀ + η'(Σ_d|q| + Σ_d|k|)), so P has
 *   relative error ρ16 = 4δ16 (as δ in the f32 bound);
 * - o = P·v: Δo ≤ (ρ16 + e)·P|v| + η'·(1 + Σ_s|v|) (a row of P sums to at most 1);
 * - dS = P ∘ (dO·vᵀ − rowsum(dO ∘ o)): ΔdS ≤ (ρ16 + e)·Mds + P ∘ (η'(Σ_d|dO| + Σ_d|v|) + |dO|·Δo)
 *   (Mds as in the f32 bound covers P ∘ |dO||v|ᵀ and P ∘ |dP − Δ|);
 * - dq = scale·dS·k: scale·((ΔdS + e·Mds)·|k| + η'(Σ_s Mds + Σ_s|k|)), |dS| ≤ Mds;
 * - dk = scale·dSᵀ·q: scale·((ΔdS + e·Mds)ᵀ·|q| + η'(Σ_t Mds + Σ_t|q|)), summed per kv head;
 * - dv = Pᵀ·dO: (ρ16 + e)·Pᵀ|dO| + η'(Σ_t P + Σ_t|dO|), summed per kv head.
 * Inputs must stay below 65504 (f16 overflows). Computed with tfjs ops on the active backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attentionBoundTerms, flashAttentionBounds, type FlashReference } from './flash-attention-tolerance.js';
import { F16_SUBNORMAL, F16_UNIT } from './f16-tolerance.js';

const E = 2 * F16_UNIT + F16_UNIT ** 2;
const ETA = F16_SUBNORMAL * (1 + F16_UNIT);

/** Element-wise bounds for o, dq, dk, dv (same shapes) of attention on the f16 GEMM. */
export function attentionGemmBounds(r: FlashReference): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  const f32 = flashAttentionBounds(r);
  const f16 = tf.tidy(() => {
    const { k, v, p, pv, mds, perKv, scale } = attentionBoundTerms(r);
    const [q, dO] = [tf.abs(r.q), tf.abs(r.dy)];
    const [ak, av] = [tf.abs(k), tf.abs(v)];
    const rowSum = (x: tf.Tensor) => tf.sum(x, -1, true);
    const colSum = (x: tf.Tensor) => tf.sum(x, -2, true);
    const scores = tf.add(
      tf.mul(tf.matMul(q, ak, false, true), E),
      tf.mul(tf.add(rowSum(q), tf.transpose(rowSum(ak), [0, 1, 3, 2])), ETA),
    );
    const rho = tf.mul(tf.max(scores), 4 * scale);
    const rhoE = tf.add(rho, E);
    const dO16 = tf.add(tf.mul(pv, rhoE), tf.mul(tf.add(colSum(av), 1), ETA));
    const dvRow = tf.transpose(rowSum(av), [0, 1, 3, 2]);
    const dRow = tf.add(tf.mul(tf.add(rowSum(dO), dvRow), ETA), rowSum(tf.mul(dO, dO16)));
    const dS16 = tf.add(tf.mul(mds, rhoE), tf.mul(p, dRow));
    const dsAll = tf.add(dS16, tf.mul(mds, E));
    const dq = tf.mul(tf.add(tf.matMul(dsAll, ak), tf.mul(tf.add(rowSum(mds), colSum(ak)), ETA)), scale);
    const dkPerHead = tf.add(
      tf.matMul(dsAll, q, true, false),
      tf.mul(tf.add(tf.transpose(colSum(mds), [0, 1, 3, 2]), colSum(q)), ETA),
    );
    const dvPerHead = tf.add(
      tf.mul(tf.matMul(p, dO, true, false), rhoE),
      tf.mul(tf.add(tf.transpose(colSum(p), [0, 1, 3, 2]), colSum(dO)), ETA),
    );
    return [dO16, dq, tf.mul(perKv(dkPerHead), scale), perKv(dvPerHead)];
  });
  const out = f32.map((b, i) => tf.add(b, f16[i]!)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  tf.dispose([...f32, ...f16]);
  return out;
}
