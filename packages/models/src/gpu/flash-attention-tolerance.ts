/**
 * How far the fused kernels may be from the tfjs op (both f32), derived to first order in the
 * unit roundoff u = 2⁻²³ (covers fused or twice-rounded fma) with γ_n = n·u / (1 − n·u):
 * - a score x = q·k·scale (+ bias) is off by at most δ = 2(γ_d + u)·scale·max Σ_k |q_k k_k|
 *   (both sides, taken over the batch: one number);
 * - exp: WGSL (and Vulkan) allow 3 + 2|y| ulp; arguments y = x − m below −20 give p < 2·10⁻⁹,
 *   so ε_exp = 2·43·u covers both sides where a term matters;
 * - p = exp(x − m) / l then has relative error ρ_p = 4δ + 2ε_exp + 2γ_S + u (x, m and l's terms);
 * - o = Σ p v: |Δo| ≤ ρ_o·(P·|v|), ρ_o = ρ_p + 2γ_S + 2u;
 * - dv = Pᵀ·dO: ρ_p + 2γ_R (R = rows summed: T·heads per kv head) times Pᵀ·|dO|;
 * - dS = P ∘ (dP − Δ), dP = dO·vᵀ, Δ = rowsum(dO ∘ O): |ΔdS| ≤ ρ_ds·Mds with
 *   Mds = P ∘ (|dP − Δ| + |dO|·|v|ᵀ + rowsum(|dO| ∘ P·|v|)), ρ_ds = ρ_p + ρ_o + 2γ_d + u;
 * - dq = scale·dS·k: (ρ_ds + 2γ_S + u)·scale·Mds·|k|;
 * - dk = scale·dSᵀ·q: (ρ_ds + 2γ_R + u)·scale·Mdsᵀ·|q|.
 * Ratios |got − ref| / bound ≤ 1 pass. Computed with tfjs ops on the active backend (tests: cpu).
 */
import * as tf from '@tensorflow/tfjs-core';

const U = 2 ** -23;
const gamma = (n: number) => (n * U) / (1 - n * U);

export interface FlashReference {
  readonly q: tf.Tensor4D;
  readonly k: tf.Tensor4D;
  readonly v: tf.Tensor4D;
  /** Full additive bias [B, 1, T, S] (or none). */
  readonly bias?: tf.Tensor4D | undefined;
  readonly dy: tf.Tensor4D;
}

/**
 * The magnitudes the bounds are made of (call inside tf.tidy): k and v per query head, P, P·|v|,
 * Mds (see above), and `perKv`, which sums per-query-head dk/dv terms over each kv head's group.
 */
export function attentionBoundTerms(r: FlashReference) {
  const [b, nh, t, d] = r.q.shape;
  const [, nkv, s] = r.k.shape;
  const rep = nh / nkv;
  const scale = 1 / Math.sqrt(d);
  // Query head h reads kv head h / rep (gather: webgpu's tile reads its input back synchronously).
  const heads = tf.tensor1d(
    Array.from({ length: nh }, (_, h) => Math.floor(h / rep)),
    'int32',
  );
  const expand = (x: tf.Tensor4D) => (rep === 1 ? x : tf.gather(x, heads, 1));
  const k = expand(r.k),
    v = expand(r.v);
  const raw = tf.mul(tf.matMul(r.q, k, false, true), scale);
  const p = tf.softmax(r.bias ? tf.add(raw, r.bias) : raw);
  const pv = tf.matMul(p, tf.abs(v));
  const o = tf.matMul(p, v);
  const dO = r.dy;
  const dP = tf.matMul(dO, v, false, true);
  const dl = tf.sum(tf.mul(dO, o), -1, true);
  const mag = tf.add(
    tf.add(tf.abs(tf.sub(dP, dl)), tf.matMul(tf.abs(dO), tf.abs(v), false, true)),
    tf.sum(tf.mul(tf.abs(dO), pv), -1, true),
  );
  const mds = tf.mul(p, mag);
  const perKv = (x: tf.Tensor) => (rep === 1 ? x : tf.sum(tf.reshape(x, [b, nkv, rep, s, d]), 2));
  return { k, v, p, pv, mds, perKv, scale, rows: t * rep, s, d };
}

/** Element-wise bounds for o, dq, dk, dv (same shapes). */
export function flashAttentionBounds(r: FlashReference): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const { k, p, pv, mds, perKv, scale, rows, s, d } = attentionBoundTerms(r);
    const dO = r.dy;
    const { rhoP, rhoO } = relativeErrors(r.q, k, scale, s, d);
    const rhoDs = tf.add(tf.add(rhoP, rhoO), 2 * gamma(d) + U);
    return [
      tf.mul(pv, rhoO),
      tf.mul(tf.matMul(mds, tf.abs(k)), tf.mul(tf.add(rhoDs, 2 * gamma(s) + U), scale)),
      tf.mul(perKv(tf.matMul(mds, tf.abs(r.q), true, false)), tf.mul(tf.add(rhoDs, 2 * gamma(rows) + U), scale)),
      tf.mul(perKv(tf.matMul(p, tf.abs(dO), true, false)), tf.add(rhoP, 2 * gamma(rows))),
    ];
  });
}

/** ρ_p and ρ_o of the file comment, as scalar tensors (k expanded to the query heads). */
function relativeErrors(q: tf.Tensor4D, k: tf.Tensor, scale: number, s: number, d: number) {
  // Scalars stay tensors: webgpu cannot read synchronously in Node (tfjs needs an OffscreenCanvas).
  const delta = tf.mul(tf.max(tf.matMul(tf.abs(q), tf.abs(k), false, true)), 2 * (gamma(d) + U) * scale);
  const rhoP = tf.add(tf.mul(delta, 4), 2 * 86 * U + 2 * gamma(s) + U);
  return { rhoP, rhoO: tf.add(rhoP, 2 * gamma(s) + 2 * U) };
}

/**
 * The bound on o for the key-split decode kernels (flash-decode-wgsl.ts): each probability reaches the output
 * as exp(x − m_i)·exp(m_i − M), a run's own max then the common one, in the numerator and in l alike. That is
 * one more exp and one more product than exp(x − m) (ε_exp + u, twice), on top of ρ_o.
 */
export function flashDecodeBound(r: Omit<FlashReference, 'dy'>): tf.Tensor {
  return tf.tidy(() => {
    const { k, pv, scale, s, d } = attentionBoundTerms({ ...r, dy: tf.zerosLike(r.q) });
    const { rhoO } = relativeErrors(r.q, k, scale, s, d);
    return tf.mul(pv, tf.add(rhoO, 2 * (86 * U + U)));
  });
}

/** max |got − ref| / bound over all entries (≤ 1 passes); a NaN result gives Infinity. */
export function worstBoundRatio(got: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(got[i]!)) return Infinity;
    const diff = Math.abs(got[i]! - ref[i]!);
    // A zero bound (an entry exactly 0 on both sides, e.g. a key nobody sees) admits only equality.
    worst = Math.max(worst, diff === 0 ? 0 : diff / bound[i]!);
  }
  return worst;
}
