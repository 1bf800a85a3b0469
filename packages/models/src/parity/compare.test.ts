import { describe, expect, it } from 'vitest';
import { compare } from './compare.js';
import { formatParityReport, makeReport } from './parity-report.js';

describe('compare', () => {
  it.each([
    ['abs', [1, 2, 3], [1, 2, 3.5], 0.4, false],
    ['abs', [1, 2, 3], [1, 2, 3.5], 0.5, true],
    ['rel', [100, 2], [101, 2], 0.01, true],
    ['rel', [100, 2], [101, 2.1], 0.01, false],
    ['rel-norm', [3, 4.05], [3, 4], 0.02, true],
    ['exact', [1, 2], [1, 2], 0, true],
    ['exact', [1, 2], [1, 3], 0, false],
  ] as const)('%s %j vs %j tol %s -> pass %s', (mode, a, e, tol, pass) => {
    expect(compare('t', a, e, mode, tol).pass).toBe(pass);
  });

  it('fails on shape, length and NaN mismatches and names the tensor', () => {
    expect(compare('x', [1, 2], [1, 2], 'abs', 1, { actual: [2], expected: [1, 2] }).pass).toBe(false);
    expect(compare('x', [1], [1, 2], 'abs', 1).pass).toBe(false);
    expect(compare('x', [NaN], [1], 'abs', 1).pass).toBe(false);
    const r = makeReport('k', '/c', [compare('good', [1], [1], 'abs', 0), compare('bad.tensor', [2], [1], 'abs', 0)]);
    expect(r.pass).toBe(false);
    expect(formatParityReport(r)).toMatch(/FAIL bad\.tensor/);
    expect(makeReport('k', '/c', []).pass).toBe(false);
  });
});
