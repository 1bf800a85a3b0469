/** Compares an actual tensor (or scalar) with the reference under one tolerance mode. */
import type { ParityCheck, ToleranceMode } from './parity-report.js';

type Numeric = ArrayLike<number> | number;

const TINY = 1e-12;

export function compare(
  name: string,
  actual: Numeric,
  expected: Numeric,
  mode: ToleranceMode,
  tolerance: number,
  shapes?: { actual: readonly number[]; expected: readonly number[] },
): ParityCheck {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  if (
    shapes &&
    (shapes.actual.length !== shapes.expected.length || shapes.actual.some((d, i) => d !== shapes.expected[i]))
  ) {
    return fail(
      name,
      mode,
      tolerance,
      `shape [${shapes.actual.join(',')}] != reference [${shapes.expected.join(',')}]`,
    );
  }
  if (a.length !== e.length) return fail(name, mode, tolerance, `length ${a.length} != reference ${e.length}`);
  let maxAbs = 0;
  let maxRel = 0;
  let diff2 = 0;
  let ref2 = 0;
  let mismatches = 0;
  let firstBad = -1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    const d = Math.abs(x - y);
    if (Number.isNaN(d)) {
      // NaN equals NaN only when both are NaN (a reference may legitimately hold NaN).
      if (!(Number.isNaN(x) && Number.isNaN(y))) {
        maxAbs = Infinity;
        maxRel = Infinity;
        if (firstBad < 0) firstBad = i;
        mismatches++;
      }
      continue;
    }
    if (d > maxAbs) maxAbs = d;
    const r = d / Math.max(Math.abs(y), TINY);
    if (r > maxRel) maxRel = r;
    diff2 += d * d;
    ref2 += y * y;
    if (x !== y) {
      mismatches++;
      if (firstBad < 0) firstBad = i;
    }
  }
  let error: number;
  switch (mode) {
    case 'abs':
      error = maxAbs;
      break;
    case 'rel':
      error = maxRel;
      break;
    case 'rel-norm':
      error = maxAbs === Infinity ? Infinity : Math.sqrt(diff2) / Math.max(Math.sqrt(ref2), TINY);
      break;
    case 'exact':
      error = mismatches;
      break;
  }
  const pass = mode === 'exact' ? mismatches === 0 : error <= tolerance;
  const detail =
    mode === 'exact' && mismatches > 0
      ? `${mismatches} of ${a.length} differ, first at ${firstBad}: ${a[firstBad]} != ${e[firstBad]}`
      : undefined;
  return {
    name,
    mode,
    tolerance: mode === 'exact' ? 0 : tolerance,
    maxAbs,
    maxRel,
    error,
    pass,
    ...(detail ? { detail } : {}),
  };
}

function fail(name: string, mode: ToleranceMode, tolerance: number, detail: string): ParityCheck {
  return { name, mode, tolerance, maxAbs: Infinity, maxRel: Infinity, error: Infinity, pass: false, detail };
}
