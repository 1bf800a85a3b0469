import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modelParityRunners } from './model-parity-runners.js';
import { readCaseJson } from './read-case.js';
import { NF4_PARITY_TOL, nf4DoubleQuantTolerance } from './nf4-parity.js';

const REF = fileURLToPath(new URL('../../../../test/fixtures/reference/', import.meta.url));

describe('nf4 parity (kvc parity test/fixtures/reference/nf4, nf4-double)', () => {
  for (const [folder, doubleQuant] of [
    ['nf4', false],
    ['nf4-double', true],
  ] as const) {
    it(`${folder}: the case's kind routes here; codes equal, dequantized within tolerance`, async () => {
      const dir = `${REF}${folder}`;
      const c = await readCaseJson(dir);
      expect(c.kind).toBe('nf4');
      expect(c.double_quant).toBe(doubleQuant);
      const r = await modelParityRunners.nf4(dir);
      const byName = Object.fromEntries(r.checks.map((x) => [x.name, x]));
      expect(byName.codes!.mode).toBe('exact');
      expect(byName.dequantized!.tolerance).toBeGreaterThanOrEqual(NF4_PARITY_TOL);
      if (!doubleQuant) expect(byName.dequantized!.tolerance).toBe(NF4_PARITY_TOL);
      expect(r.pass, JSON.stringify(r.checks)).toBe(true);
    });
  }

  it('the double-quantization tolerance grows with log2 of the block count and with max|W|', () => {
    expect(nf4DoubleQuantTolerance(320, 100)).toBeCloseTo((2 * 9 + 5) * 2 ** -24 * 100, 12);
    expect(nf4DoubleQuantTolerance(2, 1e-3)).toBe(NF4_PARITY_TOL);
  });
});
