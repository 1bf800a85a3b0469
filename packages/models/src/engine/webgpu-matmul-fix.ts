/**
 * tfjs-backend-webgpu 4.22 computes some transposed products wrongly. For a batch-1 product with few output tiles
 * and a long inner dimension (its split-K program: ≤ `thresholdToIncreaseWorkgroups` 32×32 tiles, more than 128
 * outputs, K ≥ 2000) it reads a transposed B wrongly: [9, 2048]·[16, 2048]ᵀ came out off by up to 63 on lavapipe,
 * where the same product with B transposed by hand is right, and so is a transposed A. A LoRA branch's x·Aᵀ is exactly that
 * shape (r = 16 outputs a row) for 9–256 rows at Qwen3-0.6B's down_proj (K = 3072) and every 8B module (K = 4096):
 * a generation's last prefill chunk, a short batch. This re-registers the webgpu BatchMatMul kernel to transpose
 * B explicitly (a copy of a small matrix) when tfjs would take that program, and call it with transposeB false. Every other product goes to tfjs's kernel as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { swapLastAxes } from './swap-last-axes.js';

let installed = false;

/** tfjs's default of `thresholdToIncreaseWorkgroups` where the backend does not say (non-Intel adapters). */
const DEFAULT_THRESHOLD = 8;

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Whether tfjs 4.22's batchMatMulImpl would pick MatMulSplitKProgram for these operands (its own test). */
export function takesSplitK(
  a: readonly number[],
  b: readonly number[],
  { transposeA, transposeB }: MatMulAttrs,
  threshold: number,
): boolean {
  const ra = a.length,
    rb = b.length;
  const outerA = transposeA ? a[ra - 1]! : a[ra - 2]!;
  const outerB = transposeB ? b[rb - 2]! : b[rb - 1]!;
  const inner = transposeB ? b[rb - 1]! : b[rb - 2]!;
  const batch = Math.max(
    a.slice(0, -2).reduce((x, y) => x * y, 1),
    b.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  const tiles = batch * Math.ceil(outerA / 32) * Math.ceil(outerB / 32);
  const few = tiles <= threshold || (outerA <= 8 && tiles <= threshold * 2);
  return few && batch * outerA * outerB > 128 && batch === 1 && inner >= 2000;
}

/** Installs the override once (no-op without the webgpu kernels). Returns whether it is active. */
export function installWebgpuMatMulFix(): boolean {
  if (installed) return true;
  const orig = tf.getKernel(tf.BatchMatMul, 'webgpu');
  const transpose = tf.getKernel(tf.Transpose, 'webgpu');
  if (!orig || !transpose) return false;
  tf.unregisterKernel(tf.BatchMatMul, 'webgpu');
  tf.registerKernel({
    ...orig,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const t = attrs as unknown as MatMulAttrs;
      const flag = tf.env().getNumber('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL');
      const own = (backend as { thresholdToIncreaseWorkgroups?: number }).thresholdToIncreaseWorkgroups;
      const threshold = flag > 0 ? flag : (own ?? DEFAULT_THRESHOLD);
      if (!t.transposeB || !takesSplitK(a.shape, b.shape, t, threshold)) {
        return orig.kernelFunc({ inputs, backend, attrs });
      }
      const b2 = swapLastAxes(transpose, b, backend);
      try {
        return orig.kernelFunc({ inputs: { a, b: b2 }, backend, attrs: { ...attrs, transposeB: false } });
      } finally {
        (backend as { disposeData(id: unknown): void }).disposeData(b2.dataId);
      }
    },
  });
  installed = true;
  return true;
}
