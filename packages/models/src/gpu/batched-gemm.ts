/**
 * `batchedGemm`: C[i] = op(A[i]) · op(B[i]) for every i of a batch, in one dispatch of the f16
 * GEMM (gemm.ts's kernels, the batch as workgroup id z): f32 tensors [batch, rows, cols] in,
 * converted to f16 on the GPU for this call, f32 accumulation, an f32 [batch, M, N] tensor out.
 * Callers with [B, heads, r, c] tensors reshape them to [B·heads, r, c] (attention does).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { packF16Batch } from './f16-batch.js';
import { gemmKernel, gemmVariant, variantFor, type GemmOptions } from './gemm.js';
import { runKernel } from './webgpu-internals.js';

export function batchedGemm(a: tf.Tensor3D, b: tf.Tensor3D, opts: GemmOptions = {}): tf.Tensor3D {
  const transA = opts.transA ?? false,
    transB = opts.transB ?? false;
  const [batch, ar, ac] = a.shape;
  const [batchB, br, bc] = b.shape;
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2 || batch !== batchB) {
    throw new BackendError(
      'E_GPU_SHAPE',
      batch !== batchB
        ? `batchedGemm: batches differ (${batch} vs ${batchB})`
        : `batchedGemm: inner dimensions differ (${k} vs ${k2})`,
      { a: a.shape, b: b.shape, transA, transB },
      'check which operand is transposed, and that both have the same batch',
    );
  }
  const variant = variantFor(m, n, opts.variant ?? gemmVariant());
  if (!variant) {
    throw new BackendError(
      'E_GPU_GEMM_UNAVAILABLE',
      'no f16 GEMM variant passed the start-up self-test',
      {},
      'see the warnings of selectGemmVariant, or use tf.matMul (f32)',
    );
  }
  const pa = packF16Batch(a);
  const pb = packF16Batch(b);
  try {
    const { code, dispatch } = gemmKernel({ m, n, k, transA, transB, batch }, variant, opts.tiling);
    return runKernel(code, [pa, pb], [batch, m, n], 'float32', dispatch) as tf.Tensor3D;
  } finally {
    pa.dispose();
    pb.dispose();
  }
}
