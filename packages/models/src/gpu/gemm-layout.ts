/**
 * The layout every GEMM kernel here reads: f16 operands packed into padded buffers (both
 * dimensions rounded up to PACK_ALIGN with zeros), so kernels never test bounds while loading and
 * the zero padding adds nothing to the sums, and **tile-major**: 16×16 tiles of 256 contiguous
 * halves, row-major within a tile, tiles row by row. The tensor-core kernels then bind an operand
 * as an array of tiles and load a tile at offset 0: Dawn's robustness pass only clamps the tile
 * index, where a computed offset into a flat array gets a bounds test around every load (see
 * flash-attention-forward-sm-direct-wgsl.ts). Only the f32 result is exact-sized, row-major.
 */

/** Rows and columns of a packed operand are multiples of this (the largest workgroup tile). */
export const PACK_ALIGN = 128;

export const padTo = (n: number, to: number = PACK_ALIGN): number => Math.ceil(n / to) * to;

/**
 * C[M,N] = op(A)[M,K] · op(B)[K,N]. `transA`: A is stored [K,M] (we compute Aᵀ·…);
 * `transB`: B is stored [N,K]. Padded sizes are those of the storage (`lda`, `ldb` in halves).
 */
export interface GemmShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** Products in one dispatch (workgroup id z), each operand's matrices packed back to back. Default 1. */
  readonly batch?: number;
}

/** Leading dimensions (halves per stored row) and the padded K of a shape's packed operands. */
export function packedDims(s: GemmShape): { lda: number; ldb: number; kp: number } {
  return { lda: padTo(s.transA ? s.m : s.k), ldb: padTo(s.transB ? s.k : s.n), kp: padTo(s.k) };
}

/**
 * Distance between consecutive matrices of a batch: A and B in halves of their packed buffers,
 * C in f32 elements (exact-sized). Each packed matrix is `padTo(rows) × padTo(cols)`.
 */
export function batchStrides(s: GemmShape): { a: number; b: number; c: number } {
  const { lda, ldb } = packedDims(s);
  const aRows = padTo(s.transA ? s.k : s.m),
    bRows = padTo(s.transB ? s.n : s.k);
  return { a: aRows * lda, b: bRows * ldb, c: s.m * s.n };
}

/** Whether a shape has more than one product, so its kernels read workgroup id z. */
export const isBatched = (s: GemmShape): boolean => (s.batch ?? 1) > 1;

/** Halves per tile of the packed layout (16 × 16). */
export const TILE_HALVES = 256;

/**
 * WGSL: the u32 word (two halves) holding element (r, c), c even, of a packed matrix whose stored
 * rows are `ld` halves wide (a multiple of 16).
 */
export const tileWord = (r: string, c: string, ld: number): string =>
  `((((${r}) >> 4u) * ${ld / 16}u + ((${c}) >> 4u)) * 128u + ((${r}) & 15u) * 8u + ((${c}) & 15u) / 2u)`;

/** WGSL: the index of the tile holding stored row r (a multiple of 16) and column c (likewise). */
export const tileOf = (r: string, c: string, ld: number): string => `((${r}) / 16u * ${ld / 16}u + (${c}) / 16u)`;

/**
 * The row count M as the kernels read it: at run time from C's length (C [M, N] is exactly that large) where
 * nothing else depends on M (one product, A not transposed: A's packed rows are read by blocks within their
 * padding), so one pipeline serves every M (a generation's prompt length, its last prefill chunk); else the
 * constant. Returns the WGSL expression and the statement that defines it.
 */
export function rowCount(s: GemmShape): { m: string; define: string } {
  return isBatched(s) || s.transA
    ? { m: `${s.m}u`, define: '' }
    : { m: 'M', define: `let M = arrayLength(&C) / ${s.n}u;` };
}
