/**
 * How far the fused elementwise kernels (rms-norm-wgsl.ts, swiglu-wgsl.ts, rope-wgsl.ts) may be
 * from the tfjs ops, both f32, derived to first order in U = 2⁻²³ (twice the unit roundoff: covers
 * an operation rounded twice, or a multiply-add contracted to fma) with γ_n = n·U / (1 − n·U).
 * Each side is bounded against exact arithmetic and the two bounds added (the tfjs side — cpu's
 * correctly rounded ops, sums in double — is never worse than the kernel's, so it counts the same).
 * WGSL accuracy (spec §"Floating Point Accuracy"): + − × correctly rounded, x / y 2.5 ulp,
 * inverseSqrt 2 ulp, exp(x) 3 + 2|x| ulp; one ulp of v is at most U·|v|.
 *
 * RMSNorm, row of D, r = 1/√(m + eps), m = mean(x²):
 * - m: D squares, D − 1 additions of terms ≥ 0 and a division (or D divisions, cpu): γ_{D+3}·m;
 *   + eps: γ_{D+4}·(m + eps); r = rsqrt: ½γ_{D+4} + 2U, so ρ_r = ½γ_{D+4} + 2U relative;
 * - y = w·(x·r): |Δy| ≤ (ρ_r + 2U)·|y| per side: bound 2(ρ_r + 2U)·|y|.
 * - backward (r is each side's own, so ρ_r per side again), g = dy·w, x̂ = x·r, t = g·x̂,
 *   μ = mean(t), M = mean(|t|): |Δμ| ≤ (ρ_r + γ_{D+2} + 3U)·M (t's terms: ρ_r + 3U; the sum
 *   γ_{D−1}, the division 3U); then d = g − x̂·μ and dx = r·d give per side
 *   |Δdx| ≤ r·[(ρ_r + 3U)·|g| + (3ρ_r + γ_{D+2} + 9U)·|x̂|·M]; the bound is twice that.
 * SwiGLU, σ = 1/(1 + exp(−g)): a relative error ε of exp(−g) moves σ by (1 − σ)·ε ≤ ε, so
 *   ρ_σ = (3 + 2|g|)U + U + 2.5U (exp, the addition, the division);
 * - y = (g·σ)·u: 2(ρ_σ + 2U)·|y|;
 * - dSilu = σ·c, c = 1 + g(1 − σ): 1 − σ loses σ's relative error to cancellation (absolute
 *   ρ_σ·σ), so |ΔdSilu| ≤ σ(ρ_σ + 2U)(|c| + |g|); dg = (dy·u)·dSilu:
 *   2|dy·u|·σ·(ρ_σ + 4U)(|c| + |g|);
 * - du = dy·(g·σ): 2(ρ_σ + 2U)·|du|.
 *   Devices may flush subnormals: σ or a product below 2⁻¹²⁶ may read 0, an absolute
 *   η = 2⁻¹²⁶·(1 + |g|)(1 + |u|)(1 + |dy|) on every SwiGLU bound.
 * RoPE: one entry is a·c + b·s (b = ±x of the other half): two products and a sum,
 *   |Δ| ≤ 2U(|a·c| + |b·s|) per side: bound 4U(|x|·|cos| + |rotate_half(x)|·|sin|), and for the
 *   gradient 4U(|dy|·|cos| + |Rᵀ(dy·sin)|).
 * The bounds are tensors of the outputs' shapes, computed with tfjs ops (tests: on cpu, from the
 * reference's own values; their first-order difference from exact ones is far below U).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Twice the f32 unit roundoff (see above); fused-encoder-tolerance.ts derives with the same. */
export const U = 2 ** -23;
/** γ_n = n·U / (1 − n·U). */
export const gamma = (n: number): number => (n * U) / (1 - n * U);

/** Bounds for RMSNorm's y and dx. */
export function rmsNormBounds(x: tf.Tensor, w: tf.Tensor, eps: number, dy: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1]!;
    const rhoR = gamma(d + 4) / 2 + 2 * U;
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps));
    const y = tf.mul(w, tf.mul(x, r));
    const g = tf.abs(tf.mul(dy, w));
    const xh = tf.abs(tf.mul(x, r));
    const m = tf.mean(tf.mul(g, xh), -1, true);
    const dx = tf.mul(r, tf.add(tf.mul(g, rhoR + 3 * U), tf.mul(tf.mul(xh, m), 3 * rhoR + gamma(d + 2) + 9 * U)));
    return [tf.mul(tf.abs(y), 2 * (rhoR + 2 * U)), tf.mul(dx, 2)];
  });
}

/** Bounds for SwiGLU's y, dg and du. */
export function swiGluBounds(g: tf.Tensor, u: tf.Tensor, dy: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const ag = tf.abs(g);
    const rhoS = tf.add(tf.mul(ag, 2 * U), 6.5 * U);
    const s = tf.sigmoid(g);
    const c = tf.abs(tf.add(1, tf.mul(g, tf.sub(1, s))));
    const eta = tf.mul(tf.mul(tf.add(ag, 1), tf.add(tf.abs(u), 1)), tf.mul(tf.add(tf.abs(dy), 1), 2 ** -126));
    const dyu = tf.abs(tf.mul(dy, u));
    const y = tf.abs(tf.mul(tf.mul(g, s), u));
    const du = tf.abs(tf.mul(dy, tf.mul(g, s)));
    return [
      tf.add(tf.mul(tf.mul(y, tf.add(rhoS, 2 * U)), 2), eta),
      tf.add(tf.mul(tf.mul(tf.mul(dyu, s), tf.mul(tf.add(rhoS, 4 * U), tf.add(c, ag))), 2), eta),
      tf.add(tf.mul(tf.mul(du, tf.add(rhoS, 2 * U)), 2), eta),
    ];
  });
}

/** [second half, first half] of the last axis, absolute values (|rotate_half| and |Rᵀ| alike). */
function swapHalvesAbs(x: tf.Tensor): tf.Tensor {
  const half = x.shape[x.rank - 1]! / 2;
  const [a, b] = tf.split(tf.abs(x), [half, half], -1);
  return tf.concat([b!, a!], -1);
}

/** Bounds for RoPE's y and dx. */
export function ropeBounds(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, dy: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const [ac, as] = [tf.abs(cos), tf.abs(sin)];
    const y = tf.add(tf.mul(tf.abs(x), ac), tf.mul(swapHalvesAbs(x), as));
    const dx = tf.add(tf.mul(tf.abs(dy), ac), swapHalvesAbs(tf.mul(dy, sin)));
    return [tf.mul(y, 4 * U), tf.mul(dx, 4 * U)];
  });
}
