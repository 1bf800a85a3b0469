/**
 * How the parity cases check a model run in precision f16 against the same f32 references
 * (docs/precision.md has the whole derivation). An f16 GEMM equals the exact product of its
 * operands each rounded to f16 (relative error ≤ u = 2⁻¹⁰ per element, gpu/f16-tolerance.ts; the
 * f32 accumulation matches the reference's), so normwise it perturbs a linear layer's output by at
 * most ρ = 2u + u² of ‖|x|·|W|ᵀ‖. Along a path through D such layers, to first order and with each
 * block's normwise gain and |x||W|/|xW| ratio taken as 1 (pre-norm blocks renormalise what enters
 * them; the residual stream adds what leaves them), the output's relative error is at most D·ρ.
 * So an output reached through D f16 GEMMs is checked in `rel-norm` against
 *   f32 allowance (that case's f32 tolerance, read as relative) + D·ρ,
 * and an absolute check derived from it (a loss) scales it by the reference's magnitude.
 * This is a first-order model, not a proof: the reports show how much of it each case uses.
 */
import { F16_UNIT } from '../gpu/f16-tolerance.js';
import type { Precision } from '../nn/precision.js';
import { compare } from './compare.js';
import type { ParityCheck, ToleranceMode } from './parity-report.js';

/** Normwise relative perturbation one f16 GEMM adds to its output (both operands rounded). */
export const F16_GEMM_REL = 2 * F16_UNIT + F16_UNIT * F16_UNIT;

/** The f16 relative-norm tolerance of an output reached through `depth` f16 GEMMs. */
export const f16RelTolerance = (depth: number, f32Tolerance: number): number => f32Tolerance + depth * F16_GEMM_REL;

/** One output's check: the case's f32 mode and tolerance, or in f16 rel-norm with f16RelTolerance(depth). */
export function precisionCompare(
  precision: Precision,
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  f32: { readonly mode: ToleranceMode; readonly tolerance: number; readonly depth: number },
  shapes?: { actual: readonly number[]; expected: readonly number[] },
): ParityCheck {
  return precision === 'f16'
    ? compare(name, actual, expected, 'rel-norm', f16RelTolerance(f32.depth, f32.tolerance), shapes)
    : compare(name, actual, expected, f32.mode, f32.tolerance, shapes);
}
