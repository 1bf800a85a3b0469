import { describe, expect, it } from 'vitest';
import { subgroupMatrixGemmWgsl } from './gemm-subgroup-matrix-wgsl.js';
import { nf4SubgroupMatrixGemmWgsl } from './nf4-gemm-subgroup-matrix-wgsl.js';

/**
 * The direct tensor-core GEMMs load their global operands a tile at a time: `&A[tile index]` at
 * offset 0, which Dawn's robustness pass leaves unpredicated (gemm-layout.ts). A computed offset
 * into the operand would pass every numeric test and still cost the speed; this catches it.
 */
const globalLoads = (code: string) => [...code.matchAll(/subgroupMatrixLoad<\w+, \w+>\(&([AB])([^,]*), ([^,]+),/g)];

describe('tensor-core GEMM WGSL: global operand loads', () => {
  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, false],
  ] as const) {
    it(`direct, transA ${transA}, transB ${transB}, batched: a tile index and offset 0`, () => {
      const code = subgroupMatrixGemmWgsl({ m: 200, n: 300, k: 260, transA, transB, batch: 3 });
      const loads = globalLoads(code);
      expect(loads.length).toBe(8);
      for (const [, , index, offset] of loads) {
        expect(index).toMatch(/^\[.+\]$/);
        expect(offset).toBe('0u');
      }
    });
  }
  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, false],
  ] as const) {
    it(`staged on 2×2 subgroups, transA ${transA}, transB ${transB}: workgroup tiles by index at offset 0 too`, () => {
      const code = subgroupMatrixGemmWgsl(
        { m: 200, n: 300, k: 260, transA, transB, batch: 2 },
        { tm: 2, tn: 2, staged: true, sgm: 2, sgn: 2 },
      );
      const staged = [...code.matchAll(/subgroupMatrixLoad<\w+, \w+>\(&(As|Bs)([^,]*), ([^,]+),/g)];
      expect(staged.length).toBe(8);
      for (const [, , index, offset] of staged) {
        expect(index).toMatch(/^\[.+\]$/);
        expect(offset).toBe('0u');
      }
    });
  }
  it('NF4: the activation tiles likewise, and the staged weights at constant offsets', () => {
    const code = nf4SubgroupMatrixGemmWgsl({ m: 64, n: 96, k: 128, transB: true, blocksize: 64 });
    const loads = globalLoads(code);
    expect(loads.length).toBeGreaterThan(0);
    for (const [, , index, offset] of loads) {
      expect(index).toMatch(/^\[.+\]$/);
      expect(offset).toBe('0u');
    }
    for (const [, offset] of code.matchAll(/subgroupMatrixLoad<R, \w+>\(&Ws, ([^,]+),/g))
      expect(offset).toMatch(/^\d+u$/);
  });
});
