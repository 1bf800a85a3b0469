/**
 * `packF16Batch`: a batch of f32 matrices [batch, rows, cols] converted to f16 on the GPU, each in
 * the packed layout of gemm-layout.ts (zero-padded to PACK_ALIGN), matrices back to back: what
 * batchedGemm reads. The bits are an int32 tfjs tensor the caller disposes.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { MAX_PACK_ROWS } from './f16-matrix.js';
import { padTo } from './gemm-layout.js';
import { packBatchDispatch, packWgsl } from './pack-wgsl.js';
import { runKernel } from './webgpu-internals.js';

/** Most matrices in one batch: workgroup id z (WebGPU's default maxComputeWorkgroupsPerDimension). */
export const MAX_GEMM_BATCH = 65535;

export function packF16Batch(t: tf.Tensor3D): tf.Tensor1D {
  const [batch, rows, cols] = t.shape;
  if (t.dtype !== 'float32') {
    throw new BackendError('E_GPU_DTYPE', `packF16Batch takes float32 tensors, got ${t.dtype}`, { shape: t.shape });
  }
  const rowsP = padTo(rows),
    colsP = padTo(cols);
  if (rowsP > MAX_PACK_ROWS || batch > MAX_GEMM_BATCH) {
    throw new BackendError(
      'E_GPU_SHAPE',
      `cannot pack ${batch} matrices of ${rows} rows to f16 (at most ${MAX_GEMM_BATCH} of ${MAX_PACK_ROWS})`,
      { shape: t.shape },
      'split the batch or the rows',
    );
  }
  const code = packWgsl(rows, cols, colsP, rowsP);
  const dispatch = packBatchDispatch(rowsP, colsP, batch);
  return runKernel(code, [t], [(batch * rowsP * colsP) / 2], 'int32', dispatch) as tf.Tensor1D;
}
