/**
 * The one linear layer of every model here, in PyTorch's layout (weight [out, in], y = x Wᵀ + b,
 * so checkpoints load without a copy) with an optional LoRA branch as PEFT computes it:
 * y += B(A(dropout(x))) · scaling. A frozen weight loaded with `precision: 'f16'` is an F16Matrix
 * (nn/precision.ts): its product runs through the f16 GEMM (f32 accumulation); bias and LoRA stay
 * f32 tfjs ops added after, so trainable LoRA weights and their gradients keep full precision.
 * A weight loaded with `quantization: 'nf4'` is an Nf4Matrix (quant/): on WebGPU its products run through
 * the NF4 GEMM (dequantized inside the kernel, f16 inputs, f32 accumulation); elsewhere they dequantize
 * on the fly with tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { F16Matrix } from '../gpu/f16-matrix.js';
import { frozenF16MatMul } from '../gpu/frozen-f16-matmul.js';
import { f16Gemv, gemvTakes, isGemvWeight } from '../gpu/f16-gemv.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { nf4MatMul } from '../quant/nf4-matmul.js';
import { frozenNf4MatMul } from '../gpu/nf4-frozen-matmul.js';
import { LORA_ADD_MAX_ROWS, loraAdd, loraAddTakes } from '../gpu/lora-add-wgsl.js';
import { lowRankAdd, lowRankAddTakes } from '../gpu/low-rank-add-wgsl.js';
import { tapeRecording } from '../engine/tape-recording.js';
import { addLoraBranch, lowRankOf } from './lora-branch.js';

/**
 * A linear layer's weight [out, in]: an f32 tensor, or frozen: an F16Matrix (precision f16 on WebGPU)
 * or an Nf4Matrix (quantization nf4).
 */
export type LinearWeight = tf.Tensor2D | F16Matrix | Nf4Matrix;

/**
 * A torch nn.Linear's tensors: weight [out, in], optional bias [out]. `W` defaults to f32 tensors
 * (what code that reads or trains weights needs); loaded models hold AnyLinearWeights.
 */
export interface LinearWeights<W extends LinearWeight = tf.Tensor2D> {
  readonly weight: W;
  readonly bias?: tf.Tensor1D;
}

/** Linear weights in either precision. */
export type AnyLinearWeights = LinearWeights<LinearWeight>;

/** One LoRA pair for one linear module: A [r, in], B [out, r]. */
export interface LoraPair {
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
  readonly scaling: number;
  /** `scaling` as a scalar tensor its owner keeps (saves a scalar upload per product); the number is used without it. */
  readonly scale?: tf.Scalar;
  /** Dropout rate on the LoRA input (applied only when a dropout seed is given). */
  readonly dropout: number;
}

/** Output features of a linear layer (rows of its weight). */
export const linearOutDim = (w: AnyLinearWeights): number =>
  w.weight instanceof F16Matrix || w.weight instanceof Nf4Matrix ? w.weight.rows : w.weight.shape[0];

/** x [M, in] · Wᵀ by the product each weight form has. */
function frozenMatMul(x: tf.Tensor2D, w: LinearWeight): tf.Tensor2D {
  if (w instanceof F16Matrix) return frozenF16MatMul(x, w);
  if (w instanceof Nf4Matrix) return tf.getBackend() === 'webgpu' ? frozenNf4MatMul(x, w) : nf4MatMul(x, w);
  return tf.matMul(x, w, false, true);
}

/** y = x Wᵀ + b (+ LoRA). `x` is [..., in]; `dropoutSeed` turns LoRA dropout on (training). */
export function linear(x: tf.Tensor, w: AnyLinearWeights, lora?: LoraPair, dropoutSeed?: number): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1]!;
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
    // Inference (no gradient recorded, no dropout) fuses the LoRA branch. At a few rows (a decoding step): into an
    // f16 or NF4 weight's product (one dispatch for the layer), else into one kernel after it (loraAdd).
    const inference = dropoutSeed === undefined && !tapeRecording();
    const frozen = isGemvWeight(w.weight) ? w.weight : undefined;
    const intoProduct = inference && lora && !w.bias && frozen !== undefined && gemvTakes(x2, frozen, lora);
    let y = intoProduct && frozen ? f16Gemv(x2, frozen, lora) : frozenMatMul(x2, w.weight);
    if (w.bias) y = tf.add(y, w.bias);
    if (lora && !intoProduct) {
      if (inference && loraAddTakes(x2, lora.a, lora.b, y)) y = loraAdd(x2, lora.a, lora.b, y, lora.scaling);
      // Many rows (a prefill chunk): x·Aᵀ, then the rest in one kernel.
      else if (inference && y.shape[0] > LORA_ADD_MAX_ROWS && lowRankAddTakes(lora.b, y))
        y = lowRankAdd(y, lowRankOf(x2, lora.a), lora.b, lora.scaling);
      else y = addLoraBranch(y, x2, lora, dropoutSeed);
    }
    return x.rank === 2 ? y : tf.reshape(y, [...lead, linearOutDim(w)]);
  });
}
