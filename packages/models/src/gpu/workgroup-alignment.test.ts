import { describe, expect, it } from 'vitest';
import { flashDkdvSmDirectWgsl } from './flash-attention-dkdv-sm-direct-wgsl.js';
import { flashDkdvSmSplitWgsl } from './flash-attention-dkdv-sm-split-wgsl.js';
import { flashDqSmDirectWgsl } from './flash-attention-dq-sm-direct-wgsl.js';
import { flashForwardSmDirectWgsl } from './flash-attention-forward-sm-direct-wgsl.js';
import type { FlashShape } from './flash-attention-shape.js';
import { FLASH_KERNEL_SETS } from './flash-kernel-set.js';
import { subgroupMatrixGemmWgsl } from './gemm-subgroup-matrix-wgsl.js';
import { nf4SubgroupMatrixGemmWgsl } from './nf4-gemm-subgroup-matrix-wgsl.js';

/**
 * A subgroup-matrix load from workgroup memory needs its array on a 16-byte boundary, and the H200's
 * driver lays the workgroup variables out back to back in an order of its own. One 4-byte flag
 * declared beside the P strip of the one-pass attention forward put the strip 4 bytes off; every
 * P·v then read garbage on the hardware while the emulation (and every test here) passed
 * (flash-attention-forward-sm-direct-wgsl.ts). So every workgroup variable of a tensor-core kernel
 * is a multiple of 16 bytes, whatever the order.
 */
const SIZES: Readonly<Record<string, number>> = {
  f16: 2,
  f32: 4,
  u32: 4,
  i32: 4,
  'atomic<u32>': 4,
  'vec4<f32>': 16,
  'vec4<u32>': 16,
};

/** Bytes of a WGSL workgroup type: scalars, vec4s and (nested) fixed arrays of them. */
function bytes(type: string): number {
  const array = /^array<(.+), (\d+)u?>$/.exec(type);
  // Every element type here has a size that is a multiple of its alignment, so the stride is the size.
  if (array) return Number(array[2]) * bytes(array[1]!);
  const size = SIZES[type];
  if (size === undefined) throw new Error(`workgroup type ${type}: size unknown to this test`);
  return size;
}

/** The workgroup variables of a kernel whose size is not a multiple of 16 bytes. */
const misaligned = (code: string): string[] =>
  [...code.matchAll(/var<workgroup> (\w+): ([^;]+);/g)]
    .filter(([, , type]) => bytes(type!) % 16 !== 0)
    .map(([, name, type]) => `${name}: ${type}`);

const FLASH_SHAPES: FlashShape[] = [
  { b: 2, nh: 4, nkv: 2, t: 77, s: 77, d: 128, causal: true, bias: 'keys' },
  { b: 2, nh: 2, nkv: 2, t: 70, s: 70, d: 64, causal: false, bias: 'keys' },
  { b: 1, nh: 2, nkv: 1, t: 40, s: 45, d: 32, causal: true, bias: 'full' },
];
const FLASH = { forward: flashForwardSmDirectWgsl, dq: flashDqSmDirectWgsl, dkdv: flashDkdvSmDirectWgsl };
const set = FLASH_KERNEL_SETS['subgroup-matrix'];

describe('tensor-core kernels: every workgroup variable is a multiple of 16 bytes', () => {
  it('the check flags a lone u32 and an odd f16 array, and passes 16-byte ones', () => {
    const code = `var<workgroup> moved: u32;
var<workgroup> Ps: array<f16, 1024>;
var<workgroup> odd: array<f16, 36>;
var<workgroup> flag: array<atomic<u32>, 4>;
var<workgroup> tiles: array<array<f16, 256>, 3>;`;
    expect(misaligned(code)).toEqual(['moved: u32', 'odd: array<f16, 36>']);
  });
  for (const s of FLASH_SHAPES) {
    for (const [name, wgsl] of Object.entries(FLASH)) {
      it(`attention ${name}, d ${s.d}, ${s.causal ? 'causal' : 'bidirectional'}, bias ${s.bias}`, () => {
        const code = wgsl(s, set.tiles(name as keyof typeof FLASH, s.d, 16384)!);
        expect(code).toContain('var<workgroup>');
        expect(misaligned(code)).toEqual([]);
      });
    }
    it(`attention dq in 16- and 32-row blocks, on 1 or 2 subgroups, d ${s.d}, ${s.causal ? 'causal' : 'bidirectional'}, bias ${s.bias}`, () => {
      for (const br of [16, 32])
        for (const bc of [16, 32])
          for (const sg of [1, 2]) expect(misaligned(flashDqSmDirectWgsl(s, { br, bc, sg }))).toEqual([]);
    });
    it(`attention forward in 16-row blocks, d ${s.d}, ${s.causal ? 'causal' : 'bidirectional'}, bias ${s.bias}`, () => {
      for (const bc of [16, 32]) expect(misaligned(flashForwardSmDirectWgsl(s, { br: 16, bc }))).toEqual([]);
    });
    it(`attention forward with the key bias staged, d ${s.d}, ${s.causal ? 'causal' : 'bidirectional'}, bias ${s.bias}`, () => {
      for (const bc of [16, 32]) expect(misaligned(flashForwardSmDirectWgsl(s, { br: 32, bc, sb: 1 }))).toEqual([]);
    });
    it(`attention dk/dv split over subgroups, d ${s.d}, ${s.causal ? 'causal' : 'bidirectional'}, bias ${s.bias}`, () => {
      for (const br of [16, 32])
        for (const bc of [16, 32]) expect(misaligned(flashDkdvSmSplitWgsl(s, { br, bc, sg: bc / 8 }))).toEqual([]);
    });
  }
  it('the GEMMs, direct and staged, and the NF4 GEMM', () => {
    const shape = { m: 200, n: 300, k: 260, transA: false, transB: true, batch: 2 };
    const codes = [
      subgroupMatrixGemmWgsl(shape),
      subgroupMatrixGemmWgsl({ ...shape, transB: false }),
      subgroupMatrixGemmWgsl(shape, { tm: 2, tn: 2, staged: true, sgm: 2, sgn: 2 }),
      subgroupMatrixGemmWgsl(shape, { tm: 2, tn: 2, staged: true, copy: 'matrices', sgm: 4, sgn: 4 }),
      subgroupMatrixGemmWgsl(shape, { tm: 4, tn: 4, staged: true, copy: 'matrices', sgm: 2, sgn: 2, buffers: 2 }),
      nf4SubgroupMatrixGemmWgsl({ m: 64, n: 96, k: 128, transB: true, blocksize: 64 }),
    ];
    for (const code of codes) expect(misaligned(code)).toEqual([]);
  });
});
