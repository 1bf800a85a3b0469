/**
 * torch `clip_grad_norm_(params, max_norm)` (L2, foreach path) over float32 gradients:
 * total = ||(||g_1||, ..., ||g_n||)||, coef = clamp(max_norm / (total + 1e-6), max=1), and every
 * gradient is multiplied by coef — always, also when coef is 1 (a no-op then) — exactly as
 * torch does to avoid a device sync. The pre-clip total norm is returned.
 */
import { TrainError } from '../errors.js';
import { l2NormF32 } from './f32-kernels.js';
import type { ReadonlyParamSet } from './param-set.js';

const f = Math.fround;

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Throw `E_GRAD_NONFINITE` when the total norm is inf or nan (torch `error_if_nonfinite`); default false. */
  readonly errorIfNonfinite?: boolean;
}

/** The global L2 norm of all gradients, computed the way torch computes it (float32). */
export function globalGradNorm(grads: Iterable<Float32Array>): number {
  const norms: number[] = [];
  for (const g of grads) norms.push(l2NormF32(g));
  return norms.length === 0 ? 0 : l2NormF32(norms);
}

/**
 * Clip gradients in place to a global L2 norm of `maxNorm`; returns the norm before clipping.
 * Without `errorIfNonfinite`, a non-finite norm behaves like torch: coef = 1/inf = 0 (finite
 * gradients become 0, infinite ones nan) or coef = nan (all gradients nan).
 */
export function clipGradNorm(
  grads: ReadonlyParamSet | Iterable<Float32Array>,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  if (!(maxNorm >= 0))
    throw new TrainError('E_OPTIM_CONFIG', `clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`, { maxNorm });
  const list = grads instanceof Map ? [...grads.values()] : [...(grads as Iterable<Float32Array>)];
  if (list.length === 0) return 0;
  const total = globalGradNorm(list);
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new TrainError(
      'E_GRAD_NONFINITE',
      `the total gradient norm is ${total}`,
      { totalNorm: total, tensors: grads instanceof Map ? [...grads.keys()] : list.length },
      'lower the learning rate, check the data for empty targets, or disable errorIfNonfinite to clip anyway',
    );
  }
  // `max_norm / tensor` is `tensor.reciprocal() * max_norm` in torch; both factors are float32.
  const coef = f(f(1 / f(total + f(1e-6))) * f(maxNorm));
  const clamped = Number.isNaN(coef) ? coef : Math.min(coef, 1);
  for (const g of list) for (let i = 0; i < g.length; i++) g[i] = g[i]! * clamped;
  return total;
}
