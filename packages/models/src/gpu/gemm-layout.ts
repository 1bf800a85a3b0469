/**
 * The layout every GEMM kernel here reads: f16 operands packed row-major into padded buffers
 * (both dimensions rounded up to PACK_ALIGN with zeros), so kernels never test bounds while
 * loading and the zero padding adds nothing to the sums. Only the f32 result is exact-sized.
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
