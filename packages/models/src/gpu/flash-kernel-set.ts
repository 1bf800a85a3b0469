/**
 * The fused attention's kernel families: `portable` (core WGSL, f32 throughout) and
 * `subgroup-matrix` (tensor cores: f16 operands, f32 softmax and sums). Both take the same
 * bindings and dispatch grids, so flash-attention.ts runs either; each brings its WGSL, its tiles
 * and the head sizes it takes.
 */
import { FLASH_DIRECT_KEYS, flashDkdvSmDirectWgsl } from './flash-attention-dkdv-sm-direct-wgsl.js';
import { flashDkdvSmSplitWgsl } from './flash-attention-dkdv-sm-split-wgsl.js';
import { flashDkdvWgsl } from './flash-attention-dkdv-wgsl.js';
import { flashDqSmDirectWgsl } from './flash-attention-dq-sm-direct-wgsl.js';
import { flashDqWgsl } from './flash-attention-dq-wgsl.js';
import { flashForwardSmDirectWgsl } from './flash-attention-forward-sm-direct-wgsl.js';
import { FLASH_DIRECT_ROWS } from './flash-attention-sm-direct-wgsl.js';
import { flashForwardWgsl } from './flash-attention-forward-wgsl.js';
import { flashTiles, type FlashKernel, type FlashShape, type FlashTiles } from './flash-attention-shape.js';

export type FlashAttentionVariant = 'portable' | 'subgroup-matrix';

export interface FlashKernelSet {
  readonly variant: FlashAttentionVariant;
  /** Head sizes must be a multiple of this. */
  readonly headStep: number;
  /** A kernel's tiles for head size d under the workgroup-memory limit; undefined when none fit. */
  readonly tiles: (kernel: FlashKernel, d: number, limitBytes: number) => FlashTiles | undefined;
  readonly wgsl: Readonly<Record<FlashKernel, (s: FlashShape, t: FlashTiles) => string>>;
  /**
   * The kernels read q, k, v (and dO) as zero-padded f16 (packFlashOperand) instead of f32; the dq
   * kernel also gets o in f32, for Δ.
   */
  readonly packed?: boolean;
}

/**
 * Tiles of the direct tensor-core kernels (flash-attention-*-sm-direct-wgsl.ts): key blocks of 32. The forward holds
 * 32 query rows a workgroup. The dk/dv kernel walks the queries 16 at a time: its backward 90 ms against 110 ms
 * with 32 at Qwen3-8B's heads on an H200, 44–49 against 50 ms at 0.6B's (bench/results/2026-11-29-attention-tiles-h200.md).
 * The dq kernel holds 16 query rows (two invocations a row): 80–81 against 90–91 ms at 8B, 42 against 45–47 ms at
 * 0.6B (bench/results/2026-11-29-pacer-dq16-h200.md).
 */
const DIRECT_TILES: Readonly<Record<FlashKernel, FlashTiles>> = {
  forward: { br: FLASH_DIRECT_ROWS, bc: 32 },
  dq: { br: 16, bc: 32 },
  dkdv: { br: 32, bc: FLASH_DIRECT_KEYS, sg: 2 },
};

export const FLASH_KERNEL_SETS: Readonly<Record<FlashAttentionVariant, FlashKernelSet>> = {
  portable: {
    variant: 'portable',
    headStep: 8,
    tiles: flashTiles,
    wgsl: { forward: flashForwardWgsl, dq: flashDqWgsl, dkdv: flashDkdvWgsl },
  },
  'subgroup-matrix': {
    variant: 'subgroup-matrix',
    headStep: 16,
    // Workgroup memory is a few KiB whatever d is (the operands are read from storage).
    tiles: (kernel) => DIRECT_TILES[kernel],
    wgsl: {
      forward: flashForwardSmDirectWgsl,
      dq: flashDqSmDirectWgsl,
      dkdv: (s, t) => ((t.sg ?? 1) > 1 ? flashDkdvSmSplitWgsl(s, t) : flashDkdvSmDirectWgsl(s, t)),
    },
    packed: true,
  },
};
