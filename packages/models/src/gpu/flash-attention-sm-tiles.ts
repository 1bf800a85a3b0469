/**
 * Tiles of the tensor-core fused attention kernels (flash-attention-*-sm-wgsl.ts): multiples of
 * 16 (one subgroup matrix), as large as workgroup memory allows, with at most MAX_ACCUMULATORS
 * 16×16 f32 accumulators held in registers per invocation (8 floats each across a subgroup of 32):
 * more spill on NVIDIA, whose invocations have at most 255 registers.
 */
import type { FlashKernel, FlashTiles } from './flash-attention-shape.js';

const MAX_ACCUMULATORS = 16;

/** 32-bit words of workgroup memory each kernel declares (f16 arrays count half), first-visible reduction included. */
const WORDS: Record<FlashKernel, (d: number, br: number, bc: number) => number> = {
  forward: (d, br, bc) => (br * d + bc * d) / 2 + br * bc + (br * bc) / 2 + 2 * br,
  dq: (d, br, bc) => br * d + bc * d + 2 * br * bc + (br * bc) / 2 + 3 * br,
  dkdv: (d, br, bc) => bc * d + br * d + 3 * br * bc + 3 * br,
};
const REDUCTION_WORDS = 33;

/** Accumulators each kernel keeps: o or dq for br rows, dk and dv for bc keys. */
const ACCUMULATORS: Record<FlashKernel, (d: number, br: number, bc: number) => number> = {
  forward: (d, br) => (br / 16) * (d / 16),
  dq: (d, br) => (br / 16) * (d / 16),
  dkdv: (d, _br, bc) => 2 * (bc / 16) * (d / 16),
};

const SIZES = [64, 32, 16];

/** The largest tiles (by br·bc, then br) for head size d (a multiple of 16) under `limitBytes`. */
export function flashSmTiles(kernel: FlashKernel, d: number, limitBytes: number): FlashTiles | undefined {
  let best: FlashTiles | undefined;
  for (const br of SIZES) {
    for (const bc of SIZES) {
      const fits =
        4 * (WORDS[kernel](d, br, bc) + REDUCTION_WORDS) <= limitBytes &&
        ACCUMULATORS[kernel](d, br, bc) <= MAX_ACCUMULATORS;
      if (fits && (!best || br * bc > best.br * best.bc)) best = { br, bc };
    }
  }
  return best;
}
