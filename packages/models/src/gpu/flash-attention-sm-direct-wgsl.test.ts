import { describe, expect, it } from 'vitest';
import { flashDkdvSmDirectWgsl } from './flash-attention-dkdv-sm-direct-wgsl.js';
import { flashDkdvSmSplitWgsl } from './flash-attention-dkdv-sm-split-wgsl.js';
import { flashDqSmDirectWgsl } from './flash-attention-dq-sm-direct-wgsl.js';
import { flashForwardSmDirectWgsl } from './flash-attention-forward-sm-direct-wgsl.js';
import type { FlashShape } from './flash-attention-shape.js';
import { FLASH_KERNEL_SETS } from './flash-kernel-set.js';

/**
 * The direct kernels' speed rests on one property of their WGSL: every subgroup-matrix load and
 * store has a constant offset (a tile index may pick the array), so Dawn's robustness pass adds
 * no bounds predicate (flash-attention-forward-sm-direct-wgsl.ts). A later edit that computes an
 * offset would still pass every numeric test and halve the speed; this catches it.
 */
const SHAPES: FlashShape[] = [
  { b: 4, nh: 16, nkv: 8, t: 5376, s: 5376, d: 128, causal: true, bias: 'keys' },
  { b: 8, nh: 16, nkv: 16, t: 577, s: 577, d: 64, causal: false, bias: 'none' },
];
const KERNELS = { forward: flashForwardSmDirectWgsl, dq: flashDqSmDirectWgsl, dkdv: flashDkdvSmDirectWgsl };
const set = FLASH_KERNEL_SETS['subgroup-matrix'];

/** The subgroup-matrix loads and stores of a kernel whose offset is not a literal. */
function computedOffsets(code: string): string[] {
  const calls = [...code.matchAll(/subgroupMatrix(?:Load<\w+, \w+_major>|Store<\w+_major>)\(([^;]*)/g)].map(
    (m) => m[1]!,
  );
  expect(calls.length).toBeGreaterThan(4);
  // `&array, offset,` or `&array[tile index], offset,` with a literal offset.
  return calls.filter((c) => !/^&\w+(\[[^\]]+\])?, \d+u,/.test(c));
}

describe('direct tensor-core attention WGSL', () => {
  for (const s of SHAPES) {
    for (const [name, wgsl] of Object.entries(KERNELS)) {
      it(`${name} at d=${s.d}: every subgroup-matrix offset is a constant`, () => {
        const code = wgsl(s, set.tiles(name as keyof typeof KERNELS, s.d, 16384)!);
        expect(computedOffsets(code).filter((c) => !c.startsWith('&O,'))).toEqual([]);
      });
    }
  }
  it('the dq kernel in 32-row blocks too; other row counts are refused', () => {
    for (const s of SHAPES) {
      const code = flashDqSmDirectWgsl(s, { br: 16, bc: 32 });
      expect(computedOffsets(flashDqSmDirectWgsl(s, { br: 32, bc: 32 }))).toEqual([]);
      // Half the accumulators of the 32-row kernel.
      const accs = (c: string) => c.match(/var dq\d+_\d+ = Acc\(\);/g)?.length;
      expect(accs(code)).toBe(s.d / 16);
      expect(accs(flashDqSmDirectWgsl(s, { br: 32, bc: 32 }))).toBe((2 * s.d) / 16);
    }
    expect(() => flashDqSmDirectWgsl(SHAPES[0]!, { br: 48, bc: 32 })).toThrow(/48 query rows/);
  });

  it('the dq kernel split over 2 subgroups: constant offsets, half the head tiles a subgroup', () => {
    for (const s of SHAPES) {
      for (const br of [16, 32]) {
        const code = flashDqSmDirectWgsl(s, { br, bc: 32, sg: 2 });
        expect(computedOffsets(code)).toEqual([]);
        expect(code.match(/var dq\d+_\d+ = Acc\(\);/g)?.length).toBe(((br / 16) * s.d) / 32);
        expect(code).toContain('@workgroup_size(64)');
        for (const g of [0, 1]) expect(code).toContain(`case ${g}u: {`);
      }
    }
    expect(() => flashDqSmDirectWgsl(SHAPES[0]!, { br: 16, bc: 32, sg: 4 })).toThrow(/4 subgroups/);
    expect(() => flashDqSmDirectWgsl({ ...SHAPES[0]!, d: 48 }, { br: 16, bc: 32, sg: 2 })).toThrow(/head size 48/);
  });

  it('the dk/dv kernel split over subgroups: constant offsets, one set of accumulators, 2 subgroups per 16 keys', () => {
    for (const s of SHAPES) {
      for (const bc of [16, 32]) {
        const code = flashDkdvSmSplitWgsl(s, { br: 16, bc, sg: bc / 8 });
        expect(computedOffsets(code)).toEqual([]);
        // d/16 accumulators, shared by the dk and dv branches (the one-subgroup kernel declares 2·d/16).
        expect(code.match(/var acc\d+ = Acc\(\);/g)?.length).toBe(s.d / 16);
        expect(flashDkdvSmDirectWgsl(s, { br: 16, bc: 16 }).match(/var d[kv]\d+ = Acc\(\);/g)?.length).toBe(s.d / 8);
        expect(code).toContain(`@workgroup_size(${4 * bc})`);
        // Every subgroup has its branch, and each branch its products.
        for (let g = 0; g < bc / 8; g++) expect(code).toContain(`case ${g}u: {`);
      }
    }
    expect(() => flashDkdvSmSplitWgsl(SHAPES[0]!, { br: 16, bc: 16, sg: 4 })).toThrow(/16 keys take 2 subgroups/);
    expect(() => flashDkdvSmSplitWgsl(SHAPES[0]!, { br: 16, bc: 64, sg: 8 })).toThrow(/key block 64/);
  });

  it('the forward split over 2 subgroups: constant offsets but o, half the head tiles a subgroup', () => {
    for (const s of SHAPES) {
      const code = flashForwardSmDirectWgsl(s, { br: 32, bc: 32, sg: 2 });
      expect(computedOffsets(code).filter((c) => !c.startsWith('&O,'))).toEqual([]);
      expect(code.match(/var o\d+_\d+ = Acc\(\);/g)?.length).toBe(s.d / 16);
      expect(code).toContain('@workgroup_size(64)');
      // Whole blocks: every head tile of both row tiles, once, across the two branches.
      expect(code.match(/subgroupMatrixStore<row_major>\(&O, /g)?.length).toBe((2 * s.d) / 16);
    }
    expect(() => flashForwardSmDirectWgsl({ ...SHAPES[0]!, d: 48 }, { br: 32, bc: 32, sg: 2 })).toThrow(/head size 48/);
  });

  it('the forward in 16-row blocks: constant offsets but o, one row tile of accumulators; other row counts refused', () => {
    for (const s of SHAPES) {
      const code = flashForwardSmDirectWgsl(s, { br: 16, bc: 32 });
      expect(computedOffsets(code).filter((c) => !c.startsWith('&O,'))).toEqual([]);
      expect(code.match(/var o\d+_\d+ = Acc\(\);/g)?.length).toBe(s.d / 16);
      expect(code.match(/subgroupMatrixStore<row_major>\(&O, /g)?.length).toBe(s.d / 16);
    }
    expect(() => flashForwardSmDirectWgsl(SHAPES[0]!, { br: 48, bc: 32 })).toThrow(/48 query rows/);
    expect(() => flashForwardSmDirectWgsl(SHAPES[0]!, { br: 16, bc: 32, sg: 2 })).toThrow(/two subgroups take 32/);
  });

  it('the forward with its key bias staged (sb 1): one load a key into Bk, the softmax reading Bk; other biases as before', () => {
    const keys = { ...SHAPES[0]!, bias: 'keys' as const };
    const code = flashForwardSmDirectWgsl(keys, { br: 32, bc: 32, sb: 1 });
    expect(code).toContain('var<workgroup> Bk: array<f32, 32>;');
    expect(code).toContain('if (lid < 32u) { Bk[lid] = Bias[b * S + min(c0 + lid, S - 1u)]; }');
    // score() is left to the kernel's other uses: the softmax no longer calls it
    expect(code).not.toMatch(/let sc = score\(/);
    expect(flashForwardSmDirectWgsl(keys, { br: 32, bc: 32 })).toMatch(/let sc = score\(/);
    const full = { ...SHAPES[0]!, bias: 'full' as const };
    expect(flashForwardSmDirectWgsl(full, { br: 32, bc: 32, sb: 1 })).toBe(
      flashForwardSmDirectWgsl(full, { br: 32, bc: 32 }),
    );
  });

  it('only the forward writes o through a computed offset, once per workgroup, for whole blocks', () => {
    const code = flashForwardSmDirectWgsl(SHAPES[0]!, set.tiles('forward', 128, 16384)!);
    expect(code.match(/subgroupMatrixStore<row_major>\(&O, /g)?.length).toBe(16);
  });
});
