/**
 * The last two axes of a tensor swapped by a backend's own Transpose kernel, inside a kernel override: the
 * matMul fixes (wasm-matmul-fix.ts, webgpu-matmul-fix.ts) hand their backend's fast or correct path an
 * untransposed operand. The caller disposes the result's data.
 */
import type * as tf from '@tensorflow/tfjs-core';

export function swapLastAxes(transpose: tf.KernelConfig, x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const r = x.shape.length;
  const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  return transpose.kernelFunc({
    inputs: { x },
    backend: backend as tf.KernelBackend,
    attrs: { perm },
  }) as tf.TensorInfo;
}
