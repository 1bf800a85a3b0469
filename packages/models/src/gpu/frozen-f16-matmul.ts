/**
 * y = x·Wᵀ for a frozen weight W [out, in] held in f16 (F16Matrix), differentiable in x only:
 * the forward and the input gradient dx = dy·W run through `gemm` (f16 inputs, f32 accumulation),
 * the forward at a few rows (a decoding step) through the GEMV (f16-gemv.ts: x kept in f32). W is
 * not a variable, so there is no dW; gradients of anything added after (bias, LoRA) flow through
 * ordinary tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { F16Matrix } from './f16-matrix.js';
import { f16Gemv, gemvTakes } from './f16-gemv.js';
import { gemm } from './gemm.js';

export function frozenF16MatMul(x: tf.Tensor2D, w: F16Matrix): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: gemvTakes(args[0] as tf.Tensor2D, w)
      ? f16Gemv(args[0] as tf.Tensor2D, w)
      : gemm(args[0] as tf.Tensor2D, w, { transB: true }),
    gradFunc: (dy: tf.Tensor) => gemm(dy as tf.Tensor2D, w),
  }));
  return f(x) as tf.Tensor2D;
}
