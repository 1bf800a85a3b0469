import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { compare } from '../parity/compare.js';
import { dequantizeNf4 } from './dequantize-nf4.js';
import { nf4MatMul, dequantizeNf4Matrix } from './nf4-matmul.js';
import { nf4MatrixFromHost } from './nf4-matrix-from-host.js';
import { quantizeNf4 } from './quantize-nf4.js';

const rand = (n: number, seed: number) => tf.randomNormal([n], 0, 0.05, 'float32', seed).dataSync() as Float32Array;

afterAll(async () => {
  await initBackend('cpu');
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`nf4MatMul on ${backend}`, () => {
    // 37 × 45 = 1665 elements: a partial last block of 64 and a partial last word of 8 codes.
    const rows = 37,
      cols = 45;
    it('dequantizes exactly what the host dequantizer gives, for both scale forms', async () => {
      await initBackend(backend);
      for (const doubleQuant of [false, true]) {
        const values = rand(rows * cols, 3);
        const w = nf4MatrixFromHost(values, rows, cols, { doubleQuant });
        const dq = dequantizeNf4Matrix(w);
        const host = dequantizeNf4(quantizeNf4(values, { doubleQuant }));
        expect(compare('W', await dq.data(), host, 'exact', 0).pass).toBe(true);
        tf.dispose(dq);
        w.dispose();
      }
    });

    it('forward and input gradient match f32 matMul with the dequantized weight; no tensor left behind', async () => {
      await initBackend(backend);
      const values = rand(rows * cols, 4);
      const w = nf4MatrixFromHost(values, rows, cols, { doubleQuant: true });
      const wf = tf.tensor2d(dequantizeNf4(quantizeNf4(values, { doubleQuant: true })), [rows, cols]);
      const x = tf.randomNormal([5, cols], 0, 1, 'float32', 9) as tf.Tensor2D;
      const dy = tf.randomNormal([5, rows], 0, 1, 'float32', 10) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      const [y, dx] = tf.tidy(() => {
        const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(nf4MatMul(xi as tf.Tensor2D, w), dy)));
        return [nf4MatMul(x, w), g(x)];
      });
      expect(tf.memory().numTensors).toBe(before + 2);
      const yRef = tf.matMul(x, wf, false, true),
        dxRef = tf.matMul(dy, wf);
      // Same operands, same tfjs matMul: equal up to summation order inside the backend's kernel.
      expect(compare('y', await y!.data(), await yRef.data(), 'rel-norm', 1e-6).pass).toBe(true);
      expect(compare('dx', await dx!.data(), await dxRef.data(), 'rel-norm', 1e-6).pass).toBe(true);
      tf.dispose([y!, dx!, yRef, dxRef, x, dy, wf]);
      w.dispose();
    });
  });
}
