/**
 * x [M, in] · A_pᵀ for the LoRA branches of up to three products reading the same x, one dispatch
 * (low-rank-down-wgsl.ts): what f16Gemv / f16GatedGemv then take as `low` instead of computing it in each workgroup.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GEMV_MAX_RANK, GEMV_MAX_ROWS } from './f16-gemv-wgsl.js';
import { fusedElementwiseTakes } from './fused-elementwise.js';
import { LOW_RANK_DOWN_MAX_PRODUCTS, lowRankDownWgsl } from './low-rank-down-wgsl.js';
import { runKernelOutputs } from './webgpu-internals.js';

/** Whether one dispatch takes x [M, in] with these A's: one rank, ≤ GEMV_MAX_RANK, their width x's. */
export function lowRankDownTakes(x: tf.Tensor2D, as: readonly tf.Tensor2D[]): boolean {
  const [m, k] = x.shape;
  const r = as[0]?.shape[0];
  return (
    r !== undefined &&
    as.length <= LOW_RANK_DOWN_MAX_PRODUCTS &&
    m >= 1 &&
    m <= GEMV_MAX_ROWS &&
    r <= GEMV_MAX_RANK &&
    as.every((a) => a.shape[0] === r && a.shape[1] === k) &&
    fusedElementwiseTakes(x, ...as)
  );
}

/** [x·A_0ᵀ, x·A_1ᵀ, ...] each [M, r] (caller owns). Call where lowRankDownTakes says so. */
export function lowRankDown(x: tf.Tensor2D, as: readonly tf.Tensor2D[]): tf.Tensor2D[] {
  const [m, k] = x.shape;
  const r = as[0]!.shape[0];
  const outs = as.map(() => ({ shape: [m, r], dtype: 'float32' as const }));
  return runKernelOutputs(lowRankDownWgsl(k, r, as.length), [x, ...as], outs, [m, as.length]) as tf.Tensor2D[];
}
