/**
 * `packFlashOperand`: q, k or v [B, heads, rows, d] (f32) as f16 on the GPU for the kernels that
 * read packed operands (FlashKernelSet.packed): each head's rows back to back, zero-padded to
 * packedRows(rows), tile-major as the GEMMs' operands (gemm-layout.ts): a 16-row group is d/16
 * contiguous 16×16 tiles, so every subgroup-matrix load reads 512 contiguous bytes. Two halves per
 * int32 (pack-wgsl.ts). The caller disposes it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { MAX_GEMM_BATCH } from './f16-batch.js';
import { MAX_PACK_ROWS } from './f16-matrix.js';
import { packedRows } from './flash-attention-shape.js';
import { packBatchDispatch, packWgsl } from './pack-wgsl.js';
import { runKernel } from './webgpu-internals.js';

export function packFlashOperand(x: tf.Tensor4D): tf.Tensor1D {
  const [b, heads, rows, d] = x.shape;
  const rowsP = packedRows(rows);
  if (rowsP > MAX_PACK_ROWS || b * heads > MAX_GEMM_BATCH) {
    throw new BackendError(
      'E_GPU_SHAPE',
      `flash attention: cannot pack ${b * heads} heads of ${rows} rows to f16 (at most ${MAX_GEMM_BATCH} of ${MAX_PACK_ROWS})`,
      { shape: x.shape },
      'use the tfjs op (nn/attention.ts) or split the batch',
    );
  }
  const code = packWgsl(rows, d, d, rowsP);
  return runKernel(
    code,
    [x],
    [(b * heads * rowsP * d) / 2],
    'int32',
    packBatchDispatch(rowsP, d, b * heads),
  ) as tf.Tensor1D;
}
