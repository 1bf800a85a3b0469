/**
 * A dense layer holding its weight transposed ([in, out]) once at load time, so every call is
 * one matmul without a transpose: y = x W^T + b as torch's nn.Linear.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface LinearWeights {
  /** [in, out] (the torch weight [out, in] transposed). */
  readonly weightT: tf.Tensor2D;
  readonly bias?: tf.Tensor1D;
}

/** Applies the layer to x [..., in] → [..., out]. */
export function linear(x: tf.Tensor, l: LinearWeights): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.rank - 1]!;
    const outDim = l.weightT.shape[1];
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
    let y: tf.Tensor = tf.matMul(flat, l.weightT);
    if (l.bias) y = tf.add(y, l.bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
  });
}
