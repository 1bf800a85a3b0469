/**
 * Measures a GEMM result against tf.matMul in f32 on the active backend, in units of the derived
 * f16 bound (f16-tolerance.ts): ≤ 1 means within it. Used by the tests and the benchmark.
 */
import * as tf from '@tensorflow/tfjs-core';
import { f16GemmBound } from './f16-tolerance.js';

export async function gemmErrorRatio(
  got: tf.Tensor2D,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transA = false,
  transB = false,
): Promise<number> {
  const parts = tf.tidy(() => {
    const A = transA ? tf.transpose(a) : a,
      B = transB ? tf.transpose(b) : b;
    return [tf.matMul(A, B), tf.matMul(tf.abs(A), tf.abs(B)), tf.sum(tf.abs(A), 1), tf.sum(tf.abs(B), 0)];
  });
  const k = transA ? a.shape[0] : a.shape[1];
  const [g, r, s, sa, sb] = await Promise.all([got, ...parts].map((t) => t.data()));
  tf.dispose(parts);
  const n = got.shape[1];
  let worst = 0;
  for (let i = 0; i < g!.length; i++) {
    const bound = f16GemmBound(s![i]!, sa![Math.floor(i / n)]!, sb![i % n]!, k);
    worst = Math.max(worst, Math.abs(g![i]! - r![i]!) / bound);
  }
  return worst;
}
