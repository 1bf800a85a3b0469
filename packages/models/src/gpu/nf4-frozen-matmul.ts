/**
 * y = x·Wᵀ for a frozen NF4 weight W [out, in] (Nf4Matrix), differentiable in x only: the forward
 * and the input gradient dx = dy·W both run through `nf4Gemm` (f16 tensor-core inputs or f32
 * portable math, f32 accumulation), the forward at a few rows (a decoding step) through the GEMV
 * (f16-gemv.ts, nf4-gemv-wgsl.ts: W read once, x kept in f32). There is no dW: W is frozen, and
 * gradients of what is added after it (LoRA, bias) flow through ordinary tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Nf4Matrix } from '../quant/nf4-matrix.js';
import { nf4Gemm, type Nf4GemmOptions } from './nf4-gemm.js';
import { f16Gemv, gemvTakes } from './f16-gemv.js';

/**
 * `opts.dequantize` chooses where W is dequantized (see Nf4GemmOptions); both products use it. The
 * default is `per-call` (a temporary f16 copy of this one weight, then the f16 GEMM): on the H100 it
 * ran at 46–71 TFLOP/s at Qwen3-8B's shapes against 29–40 for dequantizing inside the kernel
 * (bench/results/2026-11-27-nf4-gemm-h100.md); the copy lives only for the product.
 */
export function frozenNf4MatMul(
  x: tf.Tensor2D,
  w: Nf4Matrix,
  opts: Pick<Nf4GemmOptions, 'dequantize'> = { dequantize: 'per-call' },
): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: gemvTakes(args[0] as tf.Tensor2D, w)
      ? f16Gemv(args[0] as tf.Tensor2D, w)
      : nf4Gemm(args[0] as tf.Tensor2D, w, { ...opts, transB: true }),
    gradFunc: (dy: tf.Tensor) => nf4Gemm(dy as tf.Tensor2D, w, opts),
  }));
  return f(x) as tf.Tensor2D;
}
