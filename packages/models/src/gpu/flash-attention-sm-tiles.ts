/**
 * Tiles of the tensor-core fused attention kernels (flash-attention-*-sm-wgsl.ts): multiples of
 * 16 (one subgroup matrix), as large as workgroup memory allows, with at most MAX_ACCUMULATORS
 * 16×16 f32 accumulators held in registers per subgroup (8 floats each per invocation): more spill
 * on NVIDIA, whose invocations have at most 255 registers. The accumulators must split evenly
 * among the workgroup's subgroups (accSplit), and the score array, which storeAccs borrows as
 * each subgroup's 16×16 scratch, must hold 256 words per subgroup.
 */
import type { FlashKernel, FlashTiles } from './flash-attention-shape.js';
import { FLASH_SM_SUBGROUPS, FLASH_SM_THREADS, accSplit } from './flash-attention-sm-wgsl.js';

const MAX_ACCUMULATORS = 16;

/** 32-bit words of workgroup memory each kernel declares (f16 arrays count half), first-visible reduction included. */
const WORDS: Record<FlashKernel, (d: number, br: number, bc: number) => number> = {
  forward: (d, br, bc) => (br * d + bc * d) / 2 + br * bc + (br * bc) / 2 + 2 * br + 2 * FLASH_SM_THREADS,
  dq: (d, br, bc) => br * d + bc * d + 2 * br * bc + (br * bc) / 2 + 3 * br,
  dkdv: (d, br, bc) => bc * d + br * d + 3 * br * bc + 3 * br,
};
/** The first-visible-key reduction (flash-attention-wgsl.ts): a word per invocation, and one. */
const REDUCTION_WORDS = 32 * FLASH_SM_SUBGROUPS + 1;

/** Each kernel's accumulator tiles (rows × columns, and how many such sets): o or dq for br rows, dk and dv for bc keys. */
const ACCUMULATORS: Record<FlashKernel, (d: number, br: number, bc: number) => [number, number, number]> = {
  forward: (d, br) => [br / 16, d / 16, 1],
  dq: (d, br) => [br / 16, d / 16, 1],
  dkdv: (d, _br, bc) => [bc / 16, d / 16, 2],
};

function accumulatorsFit(kernel: FlashKernel, d: number, br: number, bc: number): boolean {
  const [rows, cols, sets] = ACCUMULATORS[kernel](d, br, bc);
  const sp = accSplit(rows, cols);
  return !!sp && sets * sp.perRow * sp.perCol <= MAX_ACCUMULATORS;
}

const SIZES = [64, 32, 16];

/** The largest tiles (by br·bc, then br) for head size d (a multiple of 16) under `limitBytes`. */
export function flashSmTiles(kernel: FlashKernel, d: number, limitBytes: number): FlashTiles | undefined {
  let best: FlashTiles | undefined;
  for (const br of SIZES) {
    for (const bc of SIZES) {
      const fits =
        4 * (WORDS[kernel](d, br, bc) + REDUCTION_WORDS) <= limitBytes &&
        br * bc >= 256 * FLASH_SM_SUBGROUPS &&
        accumulatorsFit(kernel, d, br, bc);
      if (fits && (!best || br * bc > best.br * best.bc)) best = { br, bc };
    }
  }
  return best;
}
