import { describe, expect, it } from 'vitest';
import { flashDkdvSmDirectWgsl } from './flash-attention-dkdv-sm-direct-wgsl.js';
import { flashDqSmDirectWgsl } from './flash-attention-dq-sm-direct-wgsl.js';
import { flashForwardSmDirectWgsl } from './flash-attention-forward-sm-direct-wgsl.js';
import { FLASH_KERNEL_SETS } from './flash-kernel-set.js';
import { subgroupMatrixGemmWgsl } from './gemm-subgroup-matrix-wgsl.js';
import { emulateSubgroupMatrix } from './nf4-emulated-subgroup-matrix.js';
import { nf4SubgroupMatrixGemmWgsl } from './nf4-gemm-subgroup-matrix-wgsl.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

const attention = { b: 2, nh: 4, nkv: 2, t: 300, s: 300, d: 64, causal: true, bias: 'keys' } as const;
const tiles = (name: 'forward' | 'dq' | 'dkdv') => FLASH_KERNEL_SETS['subgroup-matrix'].tiles(name, 64, 16384)!;
/** Every tensor-core kernel we generate, in each of its load orientations. */
const KERNELS: Record<string, string> = {
  gemm: subgroupMatrixGemmWgsl({ m: 200, n: 300, k: 260, transA: false, transB: false, batch: 1 }),
  'gemm transposed': subgroupMatrixGemmWgsl({ m: 200, n: 300, k: 260, transA: true, transB: true, batch: 2 }),
  'gemm staged': subgroupMatrixGemmWgsl(
    { m: 200, n: 300, k: 260, transA: true, transB: false, batch: 1 },
    { tm: 2, tn: 2, staged: true },
  ),
  'gemm staged by matrix copies': subgroupMatrixGemmWgsl(
    { m: 200, n: 300, k: 260, transA: true, transB: false, batch: 1 },
    { tm: 2, tn: 2, staged: true, copy: 'matrices', sgm: 2, sgn: 2 },
  ),
  'nf4 forward': nf4SubgroupMatrixGemmWgsl({ m: 64, n: 96, k: 128, transB: true, blocksize: 64 }),
  'nf4 input gradient': nf4SubgroupMatrixGemmWgsl({ m: 64, n: 96, k: 128, transB: false, blocksize: 64 }),
  'attention forward': flashForwardSmDirectWgsl(attention, tiles('forward')),
  'attention dq': flashDqSmDirectWgsl(attention, tiles('dq')),
  'attention dkdv': flashDkdvSmDirectWgsl(attention, tiles('dkdv')),
};

describe('subgroup-matrix loads and stores', () => {
  it('are spelled with the majorness as a template argument (the bool-argument form is deprecated in Dawn)', () => {
    expect(smLoad('L', 'As[3u]', '0u', true, '16u')).toBe('subgroupMatrixLoad<L, col_major>(&As[3u], 0u, 16u)');
    expect(smStore('C', 'r * 8u', 'c0_0', false, '8u')).toBe('subgroupMatrixStore<row_major>(&C, r * 8u, c0_0, 8u)');
  });
  for (const [name, code] of Object.entries(KERNELS)) {
    it(`${name}: every call uses that spelling, and the CI emulation rewrites every one`, () => {
      const calls = code.match(/subgroupMatrix(Load|Store)\b[^;]*/g) ?? [];
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls)
        expect(call).toMatch(/^subgroupMatrix(Load<\w+, (col|row)_major>|Store<(col|row)_major>)\(&/);
      const emulated = emulateSubgroupMatrix(code);
      expect(emulated).not.toMatch(/subgroupMatrix|_major/);
      // Each orientation the kernel loads in reaches the emulated helpers as their first argument.
      for (const layout of ['col', 'row'] as const) {
        if (code.includes(`${layout}_major>`)) expect(emulated).toContain(`(${layout === 'col'},`);
      }
    });
  }
});
