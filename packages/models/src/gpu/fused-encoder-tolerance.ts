/**
 * How far the encoders' fused kernels (layer-norm-wgsl.ts, gelu-wgsl.ts) may be from the tfjs ops,
 * both f32, derived as fused-elementwise-tolerance.ts does (same U, γ_n and WGSL accuracies; each
 * side bounded against exact arithmetic, the bound twice the kernel's: the tfjs side on cpu —
 * correctly rounded ops, functions in double — is never worse). η = 2⁻¹²⁶·(1 + |x|)(1 + |dy|)
 * covers devices that flush subnormals.
 *
 * LayerNorm, row of D, A = mean|x|, c = x − μ, v = mean(c²), r = 1/√(v + eps), x̂ = c·r, g = dy·w:
 * - μ: D − 1 additions and a division: Δμ = γ_{D+1}·A. The computed c are c − Δμ (+ U|c|), and
 *   Σc = 0, so Δμ moves v only by Δμ² to first order: Δv = γ_{D+4}(v + Δμ²) + Δμ²;
 *   ρ_r = ½(Δv/(v + eps) + U) + 2U (+ eps, rsqrt 2 ulp).
 * - y = ((c·r)·w) + b: |Δy| ≤ |w|·r·(Δμ + (ρ_r + 3U)|c|) + U|y|.
 * - backward: Δx̂ = r(Δμ + (ρ_r + 2U)|c|); m₁ = mean(g): (U + γ_{D+1})·mean|g|;
 *   m₂ = mean(g·x̂): mean(|g|·Δx̂) + (2U + γ_{D+1})·mean|g·x̂|; dx = r·((g − m₁) − x̂·m₂):
 *   |Δdx| ≤ r·[(ρ_r + 4U)·S + U|g| + Δm₁ + Δx̂·|m₂| + |x̂|·Δm₂ + γ_{D+1}|m₂|·mean|x̂|] with
 *   S = |g| + |m₁| + |x̂·m₂|; the last term and ρ_r + 6U in place of ρ_r cover tfjs's autodiff
 *   (a mean over dc of the row; r³ through pow and a division in rsqrt's gradient).
 * - trainable weight and bias, sums over the N rows: dw = Σ dy·x̂: Σ|dy|·Δx̂ + (U + γ_N)·Σ|dy·x̂|;
 *   db = Σ dy: γ_N·Σ|dy|.
 * quick_gelu, z = 1.702x, s = σ(z): ρ_s = (3 + 2|z|)U + 3.5U + |z|U (exp, the addition, the
 *   division; z's rounding moves σ by σ(1 − σ)|z|U); y = x·s: |x|s(ρ_s + U);
 *   dx = dy·s + ((dy·x)·s(1 − s))·1.702, s(1 − s) to s(ρ_s + 2U) absolute:
 *   |dy|s(ρ_s + 2U) + 1.702|dy·x|s(ρ_s + 6U).
 * gelu_erf, a = x·√½ (the same f32 on both sides), e = exp(−a²): erf is A&S 7.1.26 on both sides,
 *   1 − P(t)·e with t = 1/(1 + p|a|) (ρ_t = 5.5U: three operations and p rounded to f32) and
 *   P = t·Q(t), Q of degree 4 by Horner with f32 coefficients; with Σ = Σ|aᵢ| and t ≤ 1,
 *   |ΔP| ≤ (γ₁₃ + 5ρ_t)·Σ and ρ_e = (3 + 3a²)U, so Δerf = e·Σ·(γ₁₃ + 5ρ_t + ρ_e + 2U) + U|erf|;
 *   y = (x·½)·(1 + erf): ½|x|(Δerf + U|1 + erf|) + U|y|;
 *   dx = (dy·q)·½ + ((dy·x·½)·k)·√½, k = exp(−a²)·2/√π (ρ_k = (5 + 3a²)U):
 *   ½|dy|(Δerf + 3U|q|) + |t₂|(ρ_k + 4U), t₂ the second term.
 * gelu_tanh, z = κ(x + βx³) (κ = √(2/π), β = 0.044715): Δz = κU(3|x| + 6β|x³|); tanh as
 *   sign·(1 − e)/(1 + e), e = exp(−2|z|): Δt = (1 − t²)Δz + 2e(3 + 4|z|)U + 4.5U;
 *   y = (x·½)(1 + t): ½|x|(Δt + U|1 + t|) + U|y|; backward w = ((dy·x·½)(1 − t²))κ with
 *   Δw = ½|dy·x|κ(2Δt + U + 3U(1 − t²)), t₃ = (w·β)(3x²): Δt₃ = 3βx²(Δw + 4U|w|),
 *   t₁ = ½dy(1 + t):
 *   |Δdx| ≤ ½|dy|(Δt + 3U|1 + t|) + Δw + Δt₃ + 2U(|t₁| + |w| + |t₃|).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FusedGelu } from './gelu-wgsl.js';
import { U, gamma } from './fused-elementwise-tolerance.js';

const rowMean = (t: tf.Tensor) => tf.mean(t, -1, true);
const eta = (x: tf.Tensor, dy: tf.Tensor) => tf.mul(tf.mul(tf.add(tf.abs(x), 1), tf.add(tf.abs(dy), 1)), 2 ** -126);
const lin = (...terms: [tf.Tensor | number, tf.Tensor | number][]) =>
  terms.map(([a, b]) => tf.mul(a, b)).reduce((s, t) => tf.add(s, t));

/** Bounds for LayerNorm's y, dx, and (trainable weight and bias) dw and db. */
export function layerNormBounds(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number, dy: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const d = x.shape[x.rank - 1]!;
    const gD = gamma(d + 1);
    const dMu = tf.mul(rowMean(tf.abs(x)), gD);
    const c = tf.sub(x, rowMean(x));
    const v = rowMean(tf.square(c));
    const dMu2 = tf.square(dMu);
    const dV = tf.add(tf.mul(tf.add(v, dMu2), gamma(d + 4)), dMu2);
    const rhoR = tf.add(tf.mul(tf.add(tf.div(dV, tf.add(v, eps)), U), 0.5), 2 * U);
    const r = tf.rsqrt(tf.add(v, eps));
    const ac = tf.abs(c);
    const y = tf.add(tf.mul(tf.mul(c, r), w), b);
    const eY = tf.add(tf.mul(tf.mul(tf.abs(w), r), tf.add(dMu, tf.mul(ac, tf.add(rhoR, 3 * U)))), tf.mul(tf.abs(y), U));
    const rho = tf.add(rhoR, 6 * U);
    const g = tf.mul(dy, w);
    const ag = tf.abs(g);
    const xh = tf.mul(c, r);
    const axh = tf.abs(xh);
    const m1 = rowMean(g);
    const m2 = tf.abs(rowMean(tf.mul(g, xh)));
    const dXh = tf.mul(r, tf.add(dMu, tf.mul(ac, tf.add(rho, 2 * U))));
    const dM1 = tf.mul(rowMean(ag), U + gD);
    const dM2 = tf.add(rowMean(tf.mul(ag, dXh)), tf.mul(rowMean(tf.mul(ag, axh)), 2 * U + gD));
    const s = lin([ag, 1], [tf.abs(m1), 1], [axh, m2]);
    const rowTerms: [tf.Tensor, tf.Tensor | number][] = [
      [dM1, 1],
      [dXh, m2],
      [axh, dM2],
      [rowMean(axh), tf.mul(m2, gD)],
    ];
    const inner = lin([tf.add(rho, 4 * U), s], [ag, U], ...rowTerms);
    const gN = gamma(x.size / d);
    const colSum = (t: tf.Tensor) => tf.sum(tf.reshape(t, [-1, d]), 0);
    const dw = tf.add(colSum(tf.mul(tf.abs(dy), dXh)), tf.mul(colSum(tf.abs(tf.mul(dy, xh))), U + gN));
    const db = tf.mul(colSum(tf.abs(dy)), gN);
    return [eY, tf.mul(r, inner), dw, db].map((t) => tf.mul(t, 2));
  });
}

const ERF_ABS_SUM = [0.254829592, 0.284496736, 1.421413741, 1.453152027, 1.061405429].reduce((s, a) => s + a);
const KAPPA = Math.sqrt(2 / Math.PI);
const BETA = 0.044715;

/** Bounds for a GELU's y and dx, each twice the kernel's own: [y, dx]. */
export function geluBounds(act: FusedGelu, x: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const ax = tf.abs(x);
    const adx = tf.abs(tf.mul(dy, x));
    const ady = tf.abs(dy);
    let ey: tf.Tensor;
    let edx: tf.Tensor;
    if (act === 'quick_gelu') {
      const az = tf.abs(tf.mul(x, 1.702));
      const s = tf.sigmoid(tf.mul(x, 1.702));
      const rho = tf.add(tf.mul(az, 3 * U), 6.5 * U);
      ey = tf.mul(tf.mul(ax, s), tf.add(rho, U));
      edx = lin([tf.mul(ady, s), tf.add(rho, 2 * U)], [tf.mul(adx, s), tf.mul(tf.add(rho, 6 * U), 1.702)]);
    } else if (act === 'gelu_erf') {
      const a = tf.mul(x, Math.SQRT1_2);
      const a2 = tf.square(a);
      const e = tf.exp(tf.neg(a2));
      const erf = tf.erf(a);
      const q = tf.abs(tf.add(erf, 1));
      const rhoE = tf.add(tf.mul(a2, 3 * U), 3 * U);
      const dErf = lin([tf.mul(e, ERF_ABS_SUM), tf.add(rhoE, gamma(13) + 27.5 * U + 2 * U)], [tf.abs(erf), U]);
      ey = lin([tf.mul(ax, 0.5), tf.add(dErf, tf.mul(q, U))], [tf.abs(tf.mul(tf.mul(x, 0.5), q)), U]);
      const t2 = tf.mul(tf.mul(adx, 0.5 * Math.SQRT1_2 * (2 / Math.sqrt(Math.PI))), e);
      edx = lin([tf.mul(ady, 0.5), tf.add(dErf, tf.mul(q, 3 * U))], [t2, tf.add(tf.mul(a2, 3 * U), 9 * U)]);
    } else {
      const ax3 = tf.abs(tf.pow(x, 3));
      const z = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), BETA)), KAPPA);
      const az = tf.abs(z);
      const t = tf.tanh(z);
      const f = tf.sub(1, tf.square(t));
      const dz = tf.mul(tf.add(tf.mul(ax, 3), tf.mul(ax3, 6 * BETA)), KAPPA * U);
      const eTanh = tf.mul(tf.exp(tf.mul(az, -2)), tf.add(tf.mul(az, 4), 3));
      const dt = lin([f, dz], [eTanh, 2 * U], [1, 4.5 * U]);
      const q = tf.abs(tf.add(t, 1));
      ey = lin([tf.mul(ax, 0.5), tf.add(dt, tf.mul(q, U))], [tf.mul(tf.mul(ax, 0.5), q), U]);
      const w = tf.mul(tf.mul(adx, 0.5 * KAPPA), f);
      const dw = tf.mul(tf.mul(adx, 0.5 * KAPPA), tf.add(tf.add(tf.mul(dt, 2), U), tf.mul(f, 3 * U)));
      const x2 = tf.mul(tf.square(x), 3 * BETA);
      const t3 = tf.mul(w, x2);
      const t1 = tf.mul(tf.mul(ady, 0.5), q);
      edx = lin([tf.mul(ady, 0.5), tf.add(dt, tf.mul(q, 3 * U))], [dw, 1], [x2, tf.add(dw, tf.mul(w, 4 * U))]);
      edx = tf.add(edx, tf.mul(tf.add(tf.add(t1, w), t3), 2 * U));
    }
    const n = eta(x, dy);
    return [tf.add(tf.mul(ey, 2), n), tf.add(tf.mul(edx, 2), n)];
  });
}
