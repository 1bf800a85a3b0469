/**
 * The result of comparing an implementation with a Python reference case: one check per compared
 * quantity with its error and tolerance, llm.c-style, so a failure names what diverged.
 * (The models package has a similar type; they are to be unified.)
 */

/** One compared quantity. */
export interface ParityCheck {
  /** What was compared, e.g. `pair[3].meteor` or `pair[0].pred_tokens`. */
  readonly name: string;
  /** Largest absolute difference (for token lists: the number of differing positions). */
  readonly maxAbs: number;
  /** Largest relative difference, |a-b| / max(|b|, tiny); 0 or 1 for token lists. */
  readonly maxRel: number;
  /** Allowed `maxAbs`. */
  readonly tolerance: number;
  readonly pass: boolean;
  /** Human-readable detail on failure (expected vs actual). */
  readonly detail?: string;
}

/** All checks of one reference case. */
export interface ParityReport {
  /** The case's kind (case.json `kind`). */
  readonly kind: string;
  readonly caseDir: string;
  readonly checks: readonly ParityCheck[];
  /** True when every check passes. */
  readonly pass: boolean;
}

/** A numeric check of `actual` against `expected` with an absolute tolerance. */
export function numericCheck(name: string, actual: number, expected: number, tolerance: number): ParityCheck {
  const maxAbs = Math.abs(actual - expected);
  const maxRel = maxAbs / Math.max(Math.abs(expected), 1e-30);
  // NaN never passes: `maxAbs <= tolerance` is false for it.
  const pass = maxAbs <= tolerance;
  return { name, maxAbs, maxRel, tolerance, pass, ...(pass ? {} : { detail: `expected ${expected}, got ${actual}` }) };
}

/** An exact check of two token lists. */
export function tokensCheck(name: string, actual: readonly string[], expected: readonly string[]): ParityCheck {
  let differing = Math.abs(actual.length - expected.length);
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) if (actual[i] !== expected[i]) differing += 1;
  const pass = differing === 0;
  return {
    name,
    maxAbs: differing,
    maxRel: pass ? 0 : 1,
    tolerance: 0,
    pass,
    ...(pass ? {} : { detail: `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}` }),
  };
}
