import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { linear, type LoraPair } from '../nn/linear.js';
import { loraBranch } from '../nn/lora-branch.js';
import { loraAdd, loraAddTakes } from './lora-add-wgsl.js';
import { ownDispatchCount } from './webgpu-internals.js';
import { F32_UNIT, uniformMatrix } from '../testing/uniform-matrix.js';
import { ownDispatchesOf, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const U = F32_UNIT;
const uniform = uniformMatrix;

/**
 * How far two f32 evaluations of y + s·((x·Aᵀ)·Bᵀ) that sum in different orders can be apart. Each is within
 * (in + r + 1)·u·|s|·P + u·(|y| + |s|·P) of the exact value, P = (|x|·|A|ᵀ)·|B|ᵀ: the two dot products'
 * sums (γ_n ≈ n·u each, the first carried through B), the multiply by s and the add (one rounding each).
 * Twice that, with 1 % for the first-order γ.
 */
function bound(x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, y: tf.Tensor2D, s: number): tf.Tensor2D {
  return tf.tidy(() => {
    const p = tf.mul(tf.matMul(tf.matMul(tf.abs(x), tf.abs(a), false, true), tf.abs(b), false, true), Math.abs(s));
    const n = x.shape[1] + a.shape[0] + 1;
    return tf.mul(tf.add(tf.mul(p, n * U), tf.mul(tf.add(tf.abs(y), p), U)), 2.02) as tf.Tensor2D;
  });
}

describe.skipIf(!gpu)('loraAdd (the LoRA branch of a decode step, one dispatch) against the tfjs ops', () => {
  it.each([
    [1, 70, 33, 2],
    [3, 256, 200, 16],
    [8, 1000, 130, 16],
    [64, 64, 64, 32],
  ])('%d rows, in %d, out %d, rank %d: within the derived bound', async (rows, inDim, outDim, rank) => {
    const x = uniform([rows, inDim], 1, -3, 3);
    const a = uniform([rank, inDim], 2);
    const b = uniform([outDim, rank], 3);
    const y = uniform([rows, outDim], 4, -10, 10);
    const s = 32 / 12;
    expect(loraAddTakes(x, a, b, y)).toBe(true);
    const fused = loraAdd(x, a, b, y, s);
    const ref = tf.add(y, loraBranch(x, { a, b, scaling: s, dropout: 0 }));
    const lim = bound(x, a, b, y, s);
    const [f, r, l] = await Promise.all([fused.data(), ref.data(), lim.data()]);
    let worst = 0;
    for (let i = 0; i < f.length; i++) worst = Math.max(worst, Math.abs(f[i]! - r[i]!) / l[i]!);
    expect(worst).toBeLessThanOrEqual(1);
    const yv = await y.data();
    expect(f.some((v, i) => v !== yv[i])).toBe(true); // the branch was added
    tf.dispose([x, a, b, y, fused, ref, lim]);
  });

  it('linear takes it for inference only: not while a gradient is recorded, not past 64 rows (lowRankAdd there)', () => {
    const w = uniform([24, 40], 5);
    // Dropout 0: a training call (a dropout seed given) then runs no dropout kernel.
    const lora: LoraPair = { a: uniform([4, 40], 6), b: uniform([24, 4], 7), scaling: 2, dropout: 0 };
    const x = uniform([3, 40], 8);
    expect(ownDispatchesOf(() => linear(x, { weight: w }, lora))).toBe(1);
    // Training takes the differentiable branch (nn/lora-branch.ts addLoraBranch): x·Aᵀ (lowRankProject) and
    // lowRankAdd forward; dy·B (lowRankProject) and lowRankGrad's two dispatches each for dA and dB backward. A dropout
    // seed alone: the forward's two.
    expect(ownDispatchesOf(() => tf.grad((xi: tf.Tensor) => tf.sum(linear(xi, { weight: w }, lora)))(x))).toBe(7);
    expect(ownDispatchesOf(() => linear(x, { weight: w }, lora, 7))).toBe(2);
    const big = uniform([65, 40], 9);
    // Past 64 rows lowRankAdd takes the branch after x·Aᵀ (lowRankProject; low-rank-add.test.ts): two kernels, not
    // this one.
    const before = ownDispatchCount();
    const y = linear(big, { weight: w }, lora);
    expect(ownDispatchCount() - before).toBe(2);
    y.dispose();
    tf.dispose([w, lora.a, lora.b, x, big]);
  });
});
