/**
 * tfjs-backend-wasm 4.22 runs BatchMatMul fast (XNNPACK, ~10 GFLOP/s on one core) only when
 * neither input is transposed; with `transposeA`/`transposeB` it takes a naive loop about 10×
 * slower (measured: [1280,128]·[384,128]ᵀ 115 ms vs 11 ms). Every nn.Linear (y = x·Wᵀ), the
 * attention scores (q·kᵀ) and every matmul gradient use a transposed form, so training on wasm
 * ran at ~1 GFLOP/s. This re-registers the wasm BatchMatMul kernel to transpose the flagged
 * inputs explicitly (a cheap copy) and call the fast path. Forward and backward both go
 * through it; results are the same up to float summation order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { swapLastAxes } from './swap-last-axes.js';

let installed = false;

/** Installs the override once (no-op when the wasm kernel is not registered). Returns whether it is active. */
export function installWasmMatMulFix(): boolean {
  if (installed) return true;
  const orig = tf.getKernel(tf.BatchMatMul, 'wasm');
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  if (!orig || !transpose) return false;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({
    ...orig,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return orig.kernelFunc({ inputs, backend, attrs });
      const a2 = transposeA ? swapLastAxes(transpose, a, backend) : a;
      const b2 = transposeB ? swapLastAxes(transpose, b, backend) : b;
      try {
        return orig.kernelFunc({
          inputs: { a: a2, b: b2 },
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
      } finally {
        const be = backend as { disposeData(id: unknown): void };
        if (a2 !== a) be.disposeData(a2.dataId);
        if (b2 !== b) be.disposeData(b2.dataId);
      }
    },
  });
  installed = true;
  return true;
}
