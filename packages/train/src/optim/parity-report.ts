/**
 * The result of comparing a TypeScript computation with a Python reference case (what
 * `kvc parity` prints). Defined here for the optimizer kinds; to be unified with the other
 * packages' reports later.
 */

/** One compared quantity. `metric` says whether `tolerance` bounds `maxAbs` or `maxRel`. */
export interface ParityCheck {
  readonly name: string;
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly metric: 'abs' | 'rel';
  readonly tolerance: number;
  readonly pass: boolean;
}

/** All checks of one case; `pass` only when every check passes. */
export interface ParityReport {
  readonly kind: string;
  readonly caseDir: string;
  readonly checks: readonly ParityCheck[];
  readonly pass: boolean;
}

/**
 * Compare `actual` with `expected` element-wise. Relative error is |a-e| / |e| (0 when both are
 * equal, so an expected 0 requires an exact 0). Non-finite or length-mismatched values fail.
 */
export function compareValues(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, metric: 'abs' | 'rel', tolerance: number): ParityCheck {
  let maxAbs = actual.length === expected.length ? 0 : Infinity;
  let maxRel = maxAbs;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const abs = a === e ? 0 : Number.isNaN(a - e) ? Infinity : Math.abs(a - e);
    const rel = abs === 0 ? 0 : abs / Math.abs(e);
    maxAbs = Math.max(maxAbs, abs);
    maxRel = Math.max(maxRel, Number.isNaN(rel) ? Infinity : rel);
  }
  const measured = metric === 'abs' ? maxAbs : maxRel;
  return { name, maxAbs, maxRel, metric, tolerance, pass: measured <= tolerance };
}
