/**
 * How far an f16-input, f32-accumulated product may be from the exact one, derived (not tuned).
 *
 * Each input x is rounded to f16. WGSL lets a conversion to f16 return either neighbour
 * (pack2x16float, f16(x)), so |x̂ − x| ≤ u·|x| + η with u = 2⁻¹⁰ (one ulp of the 11-bit
 * significand; 2⁻¹¹ under round-to-nearest) and η = 2⁻¹⁴ (the smallest normal f16: a device may
 * flush subnormals to zero; without flushing the subnormal spacing 2⁻²⁴ would do). Inputs must stay
 * below 65504 (f16 overflows to infinity). Then for one product
 *   |âb̂ − ab| ≤ (2u + u²)|a||b| + η(1 + u)(|a| + |b|) + η².
 * The product of two f16 values has at most 22 significant bits, exact in f32. Summing K terms
 * in f32 (FMA or tensor-core accumulation, whose rounding may truncate: unit 2⁻²³) adds at most
 * γ_K·Σ|âb̂| with γ_K = K·2⁻²³/(1 − K·2⁻²³) (Higham, Accuracy and Stability, §3.1), and the f32
 * reference we compare against carries the same γ_K·Σ|a||b|. Summed over k, with
 * S = Σ_k |a_ik||b_kj|, Sa = Σ_k |a_ik|, Sb = Σ_k |b_kj|:
 *   |gemm − ref| ≤ (2u + u² + γ_K(1 + u)² + γ_K)·S + η(1 + u)(1 + γ_K)(Sa + Sb) + K·η².
 */
export const F16_UNIT = 2 ** -10;
export const F16_SUBNORMAL = 2 ** -14;
const F32_ACC_UNIT = 2 ** -23;

/** The bound for one entry from S, Sa, Sb (see above) and the inner dimension K. */
export function f16GemmBound(s: number, sa: number, sb: number, k: number): number {
  const u = F16_UNIT,
    eta = F16_SUBNORMAL;
  const g = (k * F32_ACC_UNIT) / (1 - k * F32_ACC_UNIT);
  return (2 * u + u * u + g * (1 + u) ** 2 + g) * s + eta * (1 + u) * (1 + g) * (sa + sb) + k * eta * eta;
}
