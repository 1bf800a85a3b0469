/**
 * The fused attention's kernel families: `portable` (core WGSL, f32 throughout) and
 * `subgroup-matrix` (tensor cores: f16 operands, f32 softmax and sums). Both take the same
 * bindings and dispatch grids, so flash-attention.ts runs either; each brings its WGSL, its tiles
 * and the head sizes it takes.
 */
import { FLASH_DIRECT_KEYS, flashDkdvSmDirectWgsl } from './flash-attention-dkdv-sm-direct-wgsl.js';
import { flashDkdvSmSplitWgsl } from './flash-attention-dkdv-sm-split-wgsl.js';
import { flashDkdvWgsl } from './flash-attention-dkdv-wgsl.js';
import { dqSubgroups, flashDqSmDirectWgsl } from './flash-attention-dq-sm-direct-wgsl.js';
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
 * Tiles of the direct tensor-core kernels (flash-attention-*-sm-direct-wgsl.ts): 32 query rows a workgroup in the
 * forward and dq, key blocks of 32, 16 keys a workgroup in dk/dv. Both backward kernels split their products over
 * 2 subgroups (FlashTiles.sg): at Qwen3-8B's heads on an H200 the backward went 90 → 80 ms with dq in 16-row
 * blocks, → 67 ms with dk/dv split (query blocks of 32), → 57 ms with dq split (32 rows); at 0.6B's 45 → 28 ms
 * (bench/results/2026-11-29-split-attention-h200.md). dq splits its head tiles in two halves, so only where d/16
 * is even.
 */
const directTiles = (kernel: FlashKernel, d: number): FlashTiles =>
  kernel === 'forward'
    ? { br: FLASH_DIRECT_ROWS, bc: 32 }
    : kernel === 'dq'
      ? { br: FLASH_DIRECT_ROWS, bc: 32, sg: dqSubgroups(d) }
      : { br: 32, bc: FLASH_DIRECT_KEYS, sg: 2 };

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
    tiles: (kernel, d) => directTiles(kernel, d),
    wgsl: {
      forward: flashForwardSmDirectWgsl,
      dq: flashDqSmDirectWgsl,
      dkdv: (s, t) => ((t.sg ?? 1) > 1 ? flashDkdvSmSplitWgsl(s, t) : flashDkdvSmDirectWgsl(s, t)),
    },
    packed: true,
  },
};
