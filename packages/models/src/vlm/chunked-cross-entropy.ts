/**
 * Mean next-token cross-entropy of hidden rows against a frozen output head, computed in
 * row chunks so [N, V] logits never exist at once (Qwen3's V = 151,936: 768 text tokens ×
 * batch 4 would be 1.9 GB of f32 logits, and autodiff would keep them). A custom gradient
 * recomputes each chunk's logits in the backward pass: d loss / d h = (softmax − onehot)·W / N.
 * The head W gets no gradient (it is frozen in every stage of the recipe).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  backendMaxTensorBytes,
  matMulRows,
  matMulTransposed,
  rowMatrixShape,
  type RowMatrix,
} from '../nn/row-matrix.js';

/**
 * Rows per chunk so one chunk's logits stay near 64 Mi floats (256 MB), and within one storage
 * binding of the backend (`maxBytes`; lavapipe binds at most 128 MiB, where 256 MB failed).
 */
export function defaultChunkRows(vocabSize: number, maxBytes = backendMaxTensorBytes()): number {
  return Math.max(1, Math.floor(Math.min(2 ** 26, maxBytes / 4) / vocabSize));
}

function chunkLossSum(h: tf.Tensor2D, w: RowMatrix, t: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const z = matMulTransposed(h, w);
    const v = z.shape[1];
    const flat = tf.add(tf.mul(tf.range(0, h.shape[0], 1, 'int32'), tf.scalar(v, 'int32')), t);
    const picked = tf.gather(tf.reshape(z, [-1]), flat);
    return tf.sum(tf.sub(tf.logSumExp(z, 1), picked));
  });
}

/**
 * `hidden` [N, H] rows whose next-token `targets` (N ids) are all counted; `weight` [V, H]
 * (one tensor or row shards).
 * Returns the mean loss (0 when N = 0, which then contributes no gradient).
 */
export function chunkedCrossEntropy(
  hidden: tf.Tensor2D,
  weight: RowMatrix,
  targets: Int32Array,
  chunkRows = defaultChunkRows(rowMatrixShape(weight)[0]),
): tf.Scalar {
  const vocab = rowMatrixShape(weight)[0];
  const n = hidden.shape[0];
  if (targets.length !== n) throw new RangeError(`chunkedCrossEntropy: ${n} rows but ${targets.length} targets`);
  if (n === 0) return tf.scalar(0);
  const bounds: [number, number][] = [];
  for (let s = 0; s < n; s += chunkRows) bounds.push([s, Math.min(chunkRows, n - s)]);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const h = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([h]);
    const value = tf.tidy(() => {
      let total: tf.Tensor = tf.scalar(0);
      for (const [s, c] of bounds)
        total = tf.add(
          total,
          chunkLossSum(tf.slice(h, [s, 0], [c, -1]), weight, tf.tensor1d(targets.subarray(s, s + c), 'int32')),
        );
      return tf.div(total, n) as tf.Scalar;
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const hs = saved[0] as tf.Tensor2D;
          const scale = tf.div(dy, n);
          const parts = bounds.map(([s, c]) =>
            tf.tidy(() => {
              const p = tf.softmax(matMulTransposed(tf.slice(hs, [s, 0], [c, -1]), weight));
              // int32 oneHot then cast: tfjs-backend-wasm 4.22 writes int bits into a float32 oneHot.
              const dz: tf.Tensor2D = tf.sub(
                p,
                tf.cast(tf.oneHot(tf.tensor1d(targets.subarray(s, s + c), 'int32'), vocab), 'float32'),
              );
              return tf.mul(matMulRows(dz, weight), scale);
            }),
          );
          return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
        }),
    };
  });
  return f(hidden) as tf.Scalar;
}
