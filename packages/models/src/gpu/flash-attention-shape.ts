/**
 * What the fused attention kernels are specialised for (every size is a WGSL constant: one
 * pipeline per layer shape, compiled once) and the tiles they use. q [B, H, T, d]; k, v
 * [B, Hkv, S, d]; query t sits at key position S − T + t (a KV cache's new tokens come last).
 */
import { MAX_GEMM_BATCH } from './f16-batch.js';
import { MAX_PACK_ROWS } from './f16-matrix.js';
export type FlashBias = 'none' | 'keys' | 'full';

export interface FlashShape {
  readonly b: number;
  readonly nh: number;
  readonly nkv: number;
  readonly t: number;
  readonly s: number;
  readonly d: number;
  /** Keys after a query's position are masked (and whole blocks of them skipped). */
  readonly causal: boolean;
  /** Additive bias read by the kernel: none, one row per batch [B, S] (padding), or [B, T, S]. */
  readonly bias: FlashBias;
}

/** Query rows (br) and keys (bc) per block; both multiples of 8 (the 8×8 invocation grid). */
export interface FlashTiles {
  readonly br: number;
  readonly bc: number;
  /**
   * Subgroups a workgroup (the tensor-core dk/dv kernel only): 1, or 2 per 16-key tile, which split dk and dv
   * between them (flash-attention-dkdv-sm-split-wgsl.ts). Absent: 1.
   */
  readonly sg?: number;
  /**
   * The tensor-core forward only, with a per-key bias: 1 stages the block's bias in workgroup memory once (one
   * load a key, not one a row and key) and runs the softmax's first loop to the block's width, a constant, with the
   * keys past S skipped inside it; the scores are score()'s operations in its order. Absent or 0: each row reads the bias from
   * storage in a loop to the block's valid keys.
   */
  readonly sb?: number;
}

export type FlashKernel = 'forward' | 'dq' | 'dkdv';

/**
 * Kernels that read q, k and v as f16 (FlashKernelSet.packed) get them zero-padded to a multiple
 * of this many rows, so that every 16-row subgroup-matrix load of a block stays inside its head.
 */
export const FLASH_PACK_ROWS = 64;
/** Rows of a zero-padded f16 operand: a multiple of FLASH_PACK_ROWS. */
export const packedRows = (n: number): number => Math.ceil(n / FLASH_PACK_ROWS) * FLASH_PACK_ROWS;

/** 64 invocations as an 8×8 grid: invocation (ty, tx) owns rows ty + 8i and columns tx + 8j. */
export const FLASH_THREADS = 64;

/** float32 words of workgroup memory each kernel declares (see its WGSL) for tiles br × bc. */
const WORDS: Record<FlashKernel, (d: number, br: number, bc: number) => number> = {
  forward: (d, br, bc) => d * br + bc * d + br * (bc + 1) + 3 * br,
  dq: (d, br, bc) => 2 * d * (br + 1) + d * (bc + 1) + br * (bc + 1) + 3 * br,
  dkdv: (d, br, bc) => 2 * d * (bc + 1) + 2 * d * (br + 1) + 2 * bc * (br + 1) + 3 * br,
};
/** The first-visible-key reduction (flash-attention-wgsl.ts) adds 65 words. */
const REDUCTION_WORDS = FLASH_THREADS + 1;
const CANDIDATES: readonly FlashTiles[] = [
  { br: 32, bc: 32 },
  { br: 16, bc: 32 },
  { br: 32, bc: 16 },
  { br: 16, bc: 16 },
  { br: 8, bc: 32 },
  { br: 8, bc: 16 },
  { br: 8, bc: 8 },
];

/** The largest tiles (by br·bc, ties to the earlier) whose workgroup memory fits `limitBytes`. */
export function flashTiles(kernel: FlashKernel, d: number, limitBytes: number): FlashTiles | undefined {
  let best: FlashTiles | undefined;
  for (const c of CANDIDATES) {
    const bytes = 4 * (WORDS[kernel](d, c.br, c.bc) + REDUCTION_WORDS);
    if (bytes <= limitBytes && (!best || c.br * c.bc > best.br * best.bc)) best = c;
  }
  return best;
}

/** Why the fused kernels cannot take a shape, or undefined when they can (`tiles`: their tile rule). */
export function flashUnsupported(
  s: FlashShape,
  limitBytes: number,
  tiles: (kernel: FlashKernel, d: number, limitBytes: number) => FlashTiles | undefined = flashTiles,
  headStep = 8,
  packed = false,
): string | undefined {
  if (s.nh % s.nkv !== 0) return `${s.nh} query heads are not a multiple of ${s.nkv} kv heads`;
  // Packed operands (packFlashOperand): one workgroup row per padded row, one z per head.
  if (packed && (packedRows(Math.max(s.t, s.s)) > MAX_PACK_ROWS || s.b * s.nh > MAX_GEMM_BATCH))
    return `${s.b * s.nh} heads of ${Math.max(s.t, s.s)} rows are too many to pack to f16 (at most ${MAX_GEMM_BATCH} of ${MAX_PACK_ROWS})`;
  if (s.d % headStep !== 0) return `head size ${s.d} is not a multiple of ${headStep}`;
  if (s.t > s.s && s.causal) return `causal attention with more queries (${s.t}) than keys (${s.s})`;
  const kernels: FlashKernel[] = ['forward', 'dq', 'dkdv'];
  if (kernels.some((k) => !tiles(k, s.d, limitBytes))) return `head size ${s.d} does not fit workgroup memory`;
  return undefined;
}
