/**
 * The fused attention's kernel families: `portable` (core WGSL, f32 throughout) and
 * `subgroup-matrix` (tensor cores: f16 operands, f32 softmax and sums). Both take the same
 * bindings and dispatch grids, so flash-attention.ts runs either; each brings its WGSL, its tiles
 * and the head sizes it takes.
 */
import { flashDkdvSmWgsl } from './flash-attention-dkdv-sm-wgsl.js';
import { flashDkdvWgsl } from './flash-attention-dkdv-wgsl.js';
import { flashDqSmWgsl } from './flash-attention-dq-sm-wgsl.js';
import { flashDqWgsl } from './flash-attention-dq-wgsl.js';
import { FLASH_DIRECT_ROWS, flashForwardSmDirectWgsl } from './flash-attention-forward-sm-direct-wgsl.js';
import { flashForwardWgsl } from './flash-attention-forward-wgsl.js';
import { flashTiles, type FlashKernel, type FlashShape, type FlashTiles } from './flash-attention-shape.js';
import { flashSmTiles } from './flash-attention-sm-tiles.js';

export type FlashAttentionVariant = 'portable' | 'subgroup-matrix';

export interface FlashKernelSet {
  readonly variant: FlashAttentionVariant;
  /** Head sizes must be a multiple of this. */
  readonly headStep: number;
  /** A kernel's tiles for head size d under the workgroup-memory limit; undefined when none fit. */
  readonly tiles: (kernel: FlashKernel, d: number, limitBytes: number) => FlashTiles | undefined;
  readonly wgsl: Readonly<Record<FlashKernel, (s: FlashShape, t: FlashTiles) => string>>;
  /** Kernels that read q, k and v as zero-padded f16 (packFlashOperand) instead of f32. */
  readonly packed?: readonly FlashKernel[];
}

/** Key block of the direct tensor-core forward (flash-attention-forward-sm-direct-wgsl.ts). */
const DIRECT_FORWARD_TILES: FlashTiles = { br: FLASH_DIRECT_ROWS, bc: 32 };

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
    tiles: (kernel, d, limit) => (kernel === 'forward' ? DIRECT_FORWARD_TILES : flashSmTiles(kernel, d, limit)),
    wgsl: { forward: flashForwardSmDirectWgsl, dq: flashDqSmWgsl, dkdv: flashDkdvSmWgsl },
    packed: ['forward'],
  },
};
