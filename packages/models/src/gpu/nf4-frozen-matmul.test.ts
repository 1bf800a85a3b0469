import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { nf4ErrorRatio, allEntries } from './nf4-error-ratio.js';
import { nf4GemmVariant } from './nf4-gemm.js';
import { frozenNf4MatMul } from './nf4-frozen-matmul.js';
import { randomNf4 } from './nf4-host.js';
import { webgpuBackend } from './webgpu-internals.js';
import { watchOurCompiles, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

// Awkward sizes: tokens and out not multiples of any tile, in = 3 blocks of 64 plus a partial one.
const [T, IN, OUT] = [23, 200, 45];

describe.skipIf(!gpu)('frozenNf4MatMul (y = x·Wᵀ, W frozen in NF4) through tf.grad', () => {
  it('the start-up self-test chose the NF4 variant the device has', () => {
    const hasSM = webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix');
    expect(nf4GemmVariant()).toBe(hasSM ? 'subgroup-matrix' : 'portable');
  });

  it('a new row count compiles no pipeline: the NF4 GEMMs read M at run time, both directions', async () => {
    const w = randomNf4(OUT, IN, 12);
    const compiles = watchOurCompiles();
    const counts: number[] = [];
    try {
      for (const rows of [5, 6, 41]) {
        const x = tf.randomUniform([rows, IN], -1, 1, 'float32', rows) as tf.Tensor2D;
        // In-kernel dequantization: the NF4 GEMMs themselves (per-call would run the f16 GEMM).
        const f = (xi: tf.Tensor) => tf.sum(frozenNf4MatMul(xi as tf.Tensor2D, w.matrix, { dequantize: 'in-kernel' }));
        const dx = tf.grad(f)(x);
        await dx.data();
        counts.push(compiles.count());
        tf.dispose([x, dx]);
      }
    } finally {
      compiles.stop();
      w.matrix.dispose();
    }
    expect(counts.slice(1)).toEqual(counts.slice(1).map(() => counts[0]));
  });

  it('forward and input gradient within the derived f16 bound of the CPU product', async () => {
    const w = randomNf4(OUT, IN, 11);
    const x = tf.randomUniform([T, IN], -1, 1, 'float32', 1) as tf.Tensor2D;
    const dy = tf.randomUniform([T, OUT], -1, 1, 'float32', 2) as tf.Tensor2D;
    const y = frozenNf4MatMul(x, w.matrix);
    // d/dx Σ (x·Wᵀ) ⊙ dy = dy·W
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(frozenNf4MatMul(xi as tf.Tensor2D, w.matrix), dy)))(x);
    expect(y.shape).toEqual([T, OUT]);
    expect(dx.shape).toEqual([T, IN]);
    const [xv, dyv, yv, dxv] = await Promise.all([x, dy, y, dx].map((t) => t.data()));
    const yRatio = nf4ErrorRatio(
      (i, j) => yv![i * OUT + j]!,
      (i, q) => xv![i * IN + q]!,
      (q, j) => w.at(j, q),
      IN,
      allEntries(T, OUT),
    );
    const dxRatio = nf4ErrorRatio(
      (i, j) => dxv![i * IN + j]!,
      (i, q) => dyv![i * OUT + q]!,
      (q, j) => w.at(q, j),
      OUT,
      allEntries(T, IN),
    );
    expect(yRatio).toBeLessThanOrEqual(1);
    expect(dxRatio).toBeLessThanOrEqual(1);
    tf.dispose([x, dy, y, dx]);
    w.matrix.dispose();
  });

  it('leaves no tensors behind over repeated forward and backward passes', () => {
    const w = randomNf4(OUT, IN, 12);
    const x = tf.randomUniform([T, IN], -1, 1, 'float32', 3) as tf.Tensor2D;
    const step = () => tf.dispose(tf.grad((xi: tf.Tensor) => tf.sum(frozenNf4MatMul(xi as tf.Tensor2D, w.matrix)))(x));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    w.matrix.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
    x.dispose();
  });
});
