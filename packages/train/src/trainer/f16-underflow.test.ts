/**
 * Why f16 training scales the loss: the f16 GEMM rounds its inputs to f16, where values below 2⁻¹⁴
 * are subnormal (few bits, or flushed, by the GPU) and below 2⁻²⁵ round to zero, so a backward pass
 * carrying gradients of 1e-8 (a logit gradient (p − y)/N is that small for a 151k vocabulary and
 * thousands of target tokens) loses them entirely; scaled by GradScaler's 2¹⁶ and unscaled after,
 * they come through within f16 rounding. webgpu only (lavapipe in CI).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { F16Matrix, frozenF16MatMul, initBackend } from '@kvc/models';
import { webgpuForTests } from '@kvc/models/testing';
import { GradScaler } from '../optim/grad-scaler.js';

describe('f16 gradients need loss scaling (webgpu)', () => {
  it('a 1e-8 gradient through an f16 weight is lost unscaled and kept when scaled', async () => {
    if (!(await webgpuForTests())) return;
    try {
      const x = tf.randomUniform([4, 64], -1, 1, 'float32', 1) as tf.Tensor2D;
      const w32 = tf.randomUniform([32, 64], -1, 1, 'float32', 2) as tf.Tensor2D;
      const w = F16Matrix.fromTensor(w32);
      const tiny = 1e-8;
      const gradOf = async (scale: number) => {
        const g = tf.grad((a: tf.Tensor) => tf.mul(tf.sum(frozenF16MatMul(a as tf.Tensor2D, w)), tiny * scale))(x);
        const scaler = new GradScaler({ initScale: scale });
        const host = Float32Array.from((await g.data()) as Float32Array);
        g.dispose();
        expect(scaler.unscale([host])).toBe(false);
        return host;
      };
      // f32 reference: d/dx sum(x·Wᵀ)·tiny = tiny · (column sums of W), the same in every row
      const want = (await tf.mul(tf.sum(w32, 0), tiny).data()) as Float32Array;
      const unscaled = await gradOf(1);
      expect(unscaled.every((v) => v === 0)).toBe(true);
      const scaled = await gradOf(2 ** 16);
      for (let i = 0; i < scaled.length; i++) {
        const e = want[i % 64]!;
        // 64 f16-rounded products summed in f32: within 64 · 2u of the sum of magnitudes (here ≤ 64·tiny)
        expect(Math.abs(scaled[i]! - e)).toBeLessThanOrEqual(64 * 2 * 2 ** -10 * 64 * tiny);
      }
      tf.dispose([x, w32]);
      w.dispose();
    } finally {
      await initBackend('cpu');
    }
  });
});
