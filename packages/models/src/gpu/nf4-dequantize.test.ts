import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { nf4Gemm } from './nf4-gemm.js';
import { dequantizeNf4OnGpu } from './nf4-dequantize.js';
import { allEntries, nf4ErrorRatio } from './nf4-error-ratio.js';
import { randomNf4 } from './nf4-host.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

describe.skipIf(!gpu)('dequantizeNf4OnGpu and the per-call dequantizing product', () => {
  it('equals the host f32 dequantization exactly, blocks straddling rows (cols % 64 ≠ 0) included', async () => {
    for (const [rows, cols] of [
      [3, 64],
      [7, 70],
      [5, 13],
    ] as const) {
      const w = randomNf4(rows, cols, rows * cols);
      const d = dequantizeNf4OnGpu(w.matrix);
      expect(d.shape).toEqual([rows, cols]);
      const got = await d.data();
      const want = w.dequantized();
      expect(Array.from(got).every((v, i) => v === want[i])).toBe(true);
      d.dispose();
      w.matrix.dispose();
    }
  });

  it('dequantize "per-call" (an f16 copy, then gemm) is within the derived bound, both products', async () => {
    const [m, out, inp] = [21, 37, 136];
    const w = randomNf4(out, inp, 4);
    for (const forward of [true, false]) {
      const [k, n] = forward ? [inp, out] : [out, inp];
      const a = tf.randomUniform([m, k], -1, 1, 'float32', 7) as tf.Tensor2D;
      const c = nf4Gemm(a, w.matrix, { transB: forward, dequantize: 'per-call' });
      const [av, cv] = [await a.data(), await c.data()];
      const wAt = forward ? (q: number, j: number) => w.at(j, q) : (q: number, j: number) => w.at(q, j);
      const r = nf4ErrorRatio(
        (i, j) => cv[i * n + j]!,
        (i, q) => av[i * k + q]!,
        wAt,
        k,
        allEntries(m, n),
      );
      expect(r).toBeLessThanOrEqual(1);
      tf.dispose([a, c]);
    }
    w.matrix.dispose();
  });
});
