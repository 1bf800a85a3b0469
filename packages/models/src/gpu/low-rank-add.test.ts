import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { linear, type LoraPair } from '../nn/linear.js';
import { LORA_ADD_MAX_ROWS } from './lora-add-wgsl.js';
import { lowRankAdd, lowRankAddTakes } from './low-rank-add-wgsl.js';
import { F32_UNIT, uniformMatrix } from '../testing/uniform-matrix.js';
import { ownDispatchesOf, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const U = F32_UNIT;
const uniform = uniformMatrix;

/**
 * How far two f32 evaluations of y + s·(t·Bᵀ) that sum t·Bᵀ in different orders can be apart: each is within
 * r·u·|s|·P (the r-term sum, γ_r ≈ r·u) + u·|s|·P (the multiply) + u·(|y| + |s|·P) (the add) of the exact
 * value, P = |t|·|B|ᵀ. Twice that, with 1 % for the first-order γ.
 */
function bound(t: tf.Tensor2D, b: tf.Tensor2D, y: tf.Tensor2D, s: number): tf.Tensor2D {
  return tf.tidy(() => {
    const p = tf.mul(tf.matMul(tf.abs(t), tf.abs(b), false, true), Math.abs(s));
    const r = t.shape[1];
    return tf.mul(tf.add(tf.mul(p, (r + 1) * U), tf.mul(tf.add(tf.abs(y), p), U)), 2.02) as tf.Tensor2D;
  });
}

describe.skipIf(!gpu)('lowRankAdd (the LoRA branch of a prefill chunk after x·Aᵀ, one dispatch) against tfjs', () => {
  it.each([
    [65, 45, 4],
    [300, 130, 16],
    [1000, 200, 32],
  ])('%d rows, out %d, rank %d: within the derived bound', async (rows, outDim, rank) => {
    const t = uniform([rows, rank], 1, -3, 3);
    const b = uniform([outDim, rank], 2);
    const y = uniform([rows, outDim], 3, -10, 10);
    const s = 32 / 12;
    expect(lowRankAddTakes(b, y)).toBe(true);
    const fused = lowRankAdd(y, t, b, s);
    const ref = tf.add(y, tf.mul(tf.matMul(t, b, false, true), s));
    const lim = bound(t, b, y, s);
    const [f, r, l, yv] = await Promise.all([fused.data(), ref.data(), lim.data(), y.data()]);
    let worst = 0;
    for (let i = 0; i < f.length; i++) worst = Math.max(worst, Math.abs(f[i]! - r[i]!) / l[i]!);
    expect(worst).toBeLessThanOrEqual(1);
    expect(f.some((v, i) => v !== yv[i])).toBe(true); // the branch was added
    tf.dispose([t, b, y, fused, ref, lim]);
  });

  it('linear takes it past loraAdd’s rows at inference, and in training', () => {
    const w = uniform([24, 40], 5);
    const lora: LoraPair = { a: uniform([4, 40], 6), b: uniform([24, 4], 7), scaling: 2, dropout: 0 };
    const big = uniform([LORA_ADD_MAX_ROWS + 36, 40], 8);
    // x·Aᵀ by lowRankProject, then this kernel.
    expect(ownDispatchesOf(() => linear(big, { weight: w }, lora))).toBe(2);
    // Training too (nn/lora-branch.ts addLoraBranch): those two forward; dy·B (lowRankProject) and lowRankGrad's two
    // dispatches each for dA and dB backward.
    expect(ownDispatchesOf(() => tf.grad((xi: tf.Tensor) => tf.sum(linear(xi, { weight: w }, lora)))(big))).toBe(7);
    expect(ownDispatchesOf(() => linear(big, { weight: w }, lora, 7))).toBe(2); // a dropout seed: training
    tf.dispose([w, lora.a, lora.b, big]);
  });
});
