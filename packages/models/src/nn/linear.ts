/**
 * The one linear layer of every model here, in PyTorch's layout (weight [out, in], y = x Wᵀ + b,
 * so checkpoints load without a copy) with an optional LoRA branch as PEFT computes it:
 * y += B(A(dropout(x))) · scaling.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A torch nn.Linear's tensors: weight [out, in], optional bias [out]. */
export interface LinearWeights {
  readonly weight: tf.Tensor2D;
  readonly bias?: tf.Tensor1D;
}

/** One LoRA pair for one linear module: A [r, in], B [out, r]. */
export interface LoraPair {
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
  readonly scaling: number;
  /** Dropout rate on the LoRA input (applied only when a dropout seed is given). */
  readonly dropout: number;
}

/** y = x Wᵀ + b (+ LoRA). `x` is [..., in]; `dropoutSeed` turns LoRA dropout on (training). */
export function linear(x: tf.Tensor, w: LinearWeights, lora?: LoraPair, dropoutSeed?: number): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1]!;
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
    let y: tf.Tensor2D = tf.matMul(x2, w.weight, false, true);
    if (w.bias) y = tf.add(y, w.bias);
    if (lora) {
      const xin =
        dropoutSeed !== undefined && lora.dropout > 0 ? tf.dropout(x2, lora.dropout, undefined, dropoutSeed) : x2;
      const low = tf.matMul(tf.matMul(xin as tf.Tensor2D, lora.a, false, true), lora.b, false, true);
      y = tf.add(y, tf.mul(low, lora.scaling));
    }
    return x.rank === 2 ? y : tf.reshape(y, [...lead, w.weight.shape[0]]);
  });
}
