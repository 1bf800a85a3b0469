import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUBGROUP_MATRIX_TILING,
  defaultSubgroupMatrixTiling,
  subgroupMatrixGemmWgsl,
} from './gemm-subgroup-matrix-wgsl.js';
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
      const shape = { m: 200, n: 300, k: 260, transA, transB, batch: 3 };
      const code = subgroupMatrixGemmWgsl(shape, DEFAULT_SUBGROUP_MATRIX_TILING);
      const loads = globalLoads(code);
      expect(loads.length).toBe(8);
      // Prefetching: the first step's tiles before the loop, the next step's inside it.
      const prefetching = globalLoads(
        subgroupMatrixGemmWgsl(shape, { ...DEFAULT_SUBGROUP_MATRIX_TILING, prefetch: true }),
      );
      expect(prefetching.length).toBe(16);
      loads.push(...prefetching);
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
  it('staged by matrix copies: global and workgroup tiles by index at offset 0, and uneven splits refused', () => {
    const s = { m: 200, n: 300, k: 260, transA: true, transB: false, batch: 2 };
    const code = subgroupMatrixGemmWgsl(s, { tm: 2, tn: 2, staged: true, copy: 'matrices', sgm: 4, sgn: 4 });
    const loads = [...code.matchAll(/subgroupMatrixLoad<\w+, \w+>\(&(\w+)(\[[^,]*\]), ([^,]+),/g)];
    // one copy of each operand a subgroup, issued before the loop and again for the next slice; 2 K steps × (2 + 2)
    expect(loads.filter(([, p]) => p === 'A' || p === 'B').length).toBe(4);
    expect(loads.filter(([, p]) => p === 'As' || p === 'Bs').length).toBe(8);
    for (const [, , , offset] of loads) expect(offset).toBe('0u');
    const stores = [...code.matchAll(/subgroupMatrixStore<\w+>\(&(As|Bs)\[[^,]*\], ([^,]+),/g)];
    expect(stores.length).toBe(2);
    for (const [, , offset] of stores) expect(offset).toBe('0u');
    // 2×2 tiles on 4×2 subgroups: a 128×64 block; A's slice has 16 tiles, B's 8, over 8 subgroups: 2 and 1.
    expect(() =>
      subgroupMatrixGemmWgsl(s, { tm: 2, tn: 2, staged: true, copy: 'matrices', sgm: 4, sgn: 2 }),
    ).not.toThrow();
    // 1×1 on 4×2: A's slice has 8 tiles, B's 4, over 8 subgroups: B's do not split.
    expect(() => subgroupMatrixGemmWgsl(s, { tm: 1, tn: 1, staged: true, copy: 'matrices', sgm: 4, sgn: 2 })).toThrow(
      RangeError,
    );
  });
  it('by default, the forward layout is staged by matrix copies on 2×2 subgroups, the others direct and prefetching', () => {
    expect(defaultSubgroupMatrixTiling({ transA: false, transB: true })).toMatchObject({
      staged: true,
      copy: 'matrices',
      sgm: 2,
      sgn: 2,
    });
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [true, true],
    ] as const)
      expect(defaultSubgroupMatrixTiling({ transA, transB })).toMatchObject({ staged: false, prefetch: true });
    const s = { m: 200, n: 300, k: 260, transA: false, transB: true, batch: 1 };
    expect(subgroupMatrixGemmWgsl(s)).toBe(subgroupMatrixGemmWgsl(s, defaultSubgroupMatrixTiling(s)));
  });
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
