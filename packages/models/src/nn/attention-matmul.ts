/**
 * `attentionMatMul`: the matrix products of attention's chunks (scores, P·V, and the backward's
 * dP, dQ, dK, dV), [B, heads, r, c] on both sides. tf.matMul (f32) by default; on the webgpu
 * backend, when switched on (setAttentionGemmDefault) and an f16 GEMM variant passed its start-up
 * self-test, the batched f16 GEMM (gpu/batched-gemm.ts: f16 inputs, f32 accumulation), as
 * PyTorch's bf16 attention does. Softmax statistics, the bias and the dK/dV sums stay f32 (tfjs ops).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedGemm } from '../gpu/batched-gemm.js';
import { gemmVariant } from '../gpu/gemm.js';

/**
 * Whether attention's products take the batched f16 GEMM on webgpu. Off until measured on the
 * H100 against tfjs's f32 BatchMatMul (bench/gpu/batched-gemm-attention.ts).
 */
let byDefault = false;
export const setAttentionGemmDefault = (on: boolean): void => void (byDefault = on);
export const attentionGemmDefault = (): boolean => byDefault;

/** Whether attentionMatMul would use the f16 GEMM now. */
export const attentionUsesF16Gemm = (): boolean =>
  byDefault && tf.getBackend() === 'webgpu' && gemmVariant() !== undefined;

/**
 * The longest inner dimension a product may have to take the f16 GEMM: the head dimension's. On the
 * H100 the batched GEMM ran the head-dimension products (scores q·kᵀ and dP = dO·vᵀ) 2.7–2.8×
 * faster than tfjs' BatchMatMul, and the products summing over keys or query rows (P·V, dQ, dK,
 * dV) 0.2–1.4× as fast: their outputs are [rows, 128] or [keys, 128], too few tiles for the long
 * sum (bench/results/2026-11-27-seed-memory-h100.md).
 */
export const ATTENTION_GEMM_MAX_K = 128;

/** op(a)·op(b) over the two leading (batch, head) axes: f32 in, f32 out. */
export function attentionMatMul(a: tf.Tensor4D, b: tf.Tensor4D, transA = false, transB = false): tf.Tensor4D {
  const k = transA ? a.shape[2] : a.shape[3];
  if (!attentionUsesF16Gemm() || k > ATTENTION_GEMM_MAX_K || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return tf.matMul(a, b, transA, transB);
  }
  return tf.tidy(() => {
    const [n, h] = a.shape;
    const flat = (x: tf.Tensor4D) => tf.reshape(x, [n * h, x.shape[2], x.shape[3]]) as tf.Tensor3D;
    const c = batchedGemm(flat(a), flat(b), { transA, transB });
    return tf.reshape(c, [n, h, c.shape[1], c.shape[2]]);
  });
}
