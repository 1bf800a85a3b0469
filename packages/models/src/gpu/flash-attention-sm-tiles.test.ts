import { describe, expect, it } from 'vitest';
import type { FlashKernel } from './flash-attention-shape.js';
import { flashSmTiles } from './flash-attention-sm-tiles.js';
import { FLASH_SM_SUBGROUPS, accSplit } from './flash-attention-sm-wgsl.js';
import { FLASH_KERNEL_SETS } from './flash-kernel-set.js';

const KERNELS: FlashKernel[] = ['forward', 'dq', 'dkdv'];
const shape = (d: number) => ({ b: 1, nh: 2, nkv: 1, t: 37, s: 37, d, causal: true, bias: 'keys' as const });

describe('tensor-core attention tiles on several subgroups', () => {
  it('accSplit deals a tile grid into equal blocks, rows first, or says it cannot', () => {
    expect(accSplit(4, 8)).toEqual({ gi: 4, gd: 1, perRow: 1, perCol: 8 });
    expect(accSplit(2, 8)).toEqual({ gi: 2, gd: 2, perRow: 1, perCol: 4 });
    expect(accSplit(1, 8)).toEqual({ gi: 1, gd: 4, perRow: 1, perCol: 2 });
    expect(accSplit(2, 1)).toBeUndefined();
    expect(accSplit(1, 2)).toBeUndefined();
  });

  // 48 KB: what the H200 and lavapipe offer; 32 KB: a smaller GPU.
  for (const limit of [49152, 32768]) {
    for (const d of [16, 32, 64, 128]) {
      it(`d=${d} under ${limit} bytes: tiles that split and fill each subgroup's scratch, or none`, () => {
        for (const k of KERNELS) {
          const t = flashSmTiles(k, d, limit);
          if (!t) continue;
          expect(t.br * t.bc).toBeGreaterThanOrEqual(256 * FLASH_SM_SUBGROUPS);
          const [rows, cols] = k === 'dkdv' ? [t.bc / 16, d / 16] : [t.br / 16, d / 16];
          expect(accSplit(rows, cols), `${k} ${JSON.stringify(t)}`).toBeDefined();
          // The WGSL declares what the tile rule counted: its workgroup arrays fit the limit.
          const code = FLASH_KERNEL_SETS['subgroup-matrix'].wgsl[k](shape(d), t);
          const bytes = [...code.matchAll(/var<workgroup> \w+: array<(f16|f32|u32), (\d+)>/g)].reduce(
            (sum, m) => sum + (m[1] === 'f16' ? 2 : 4) * Number(m[2]),
            4, // fvAll
          );
          expect(bytes, `${k} d=${d}`).toBeLessThanOrEqual(limit);
        }
      });
    }
  }

  it('takes the seed (d=128) and CLIP (d=64) head sizes in 48 KB', () => {
    for (const d of [64, 128]) for (const k of KERNELS) expect(flashSmTiles(k, d, 49152)).toBeDefined();
  });
});
