/**
 * The two kinds of check the metric parity runners make, as `@kvc/models` parity checks (one
 * report type for every `kvc parity` kind): a score against the reference's under an absolute
 * tolerance, and a token list that must match exactly.
 */
import { compare, type ParityCheck } from '@kvc/models/parity';

/** A numeric check of `actual` against `expected` with an absolute tolerance (NaN never passes). */
export function numericCheck(name: string, actual: number, expected: number, tolerance: number): ParityCheck {
  const c = compare(name, actual, expected, 'abs', tolerance);
  // compare lets NaN equal NaN (a reference tensor may hold NaN); a score never may.
  const pass = c.pass && !Number.isNaN(actual);
  return { ...c, pass, ...(pass ? {} : { detail: `expected ${expected}, got ${actual}` }) };
}

/** An exact check of two token lists; the error counts differing positions (and the length difference). */
export function tokensCheck(name: string, actual: readonly string[], expected: readonly string[]): ParityCheck {
  let differing = Math.abs(actual.length - expected.length);
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) if (actual[i] !== expected[i]) differing += 1;
  const pass = differing === 0;
  return {
    name,
    mode: 'exact',
    tolerance: 0,
    maxAbs: differing,
    maxRel: pass ? 0 : 1,
    error: differing,
    pass,
    ...(pass ? {} : { detail: `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}` }),
  };
}
