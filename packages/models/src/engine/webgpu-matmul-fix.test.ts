/**
 * tfjs-webgpu 4.22's split-K matMul with a transposed operand (webgpu-matmul-fix.ts) against the CPU's products in
 * float64: the shapes a LoRA branch's x·Aᵀ takes, and products the fix leaves to tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { takesSplitK } from './webgpu-matmul-fix.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/** max |tf.matMul − exact| over the output, the exact product in float64 from the operands' values. */
async function worstError(m: number, k: number, n: number, transA: boolean, transB: boolean): Promise<number> {
  const a = tf.randomUniform(transA ? [k, m] : [m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform(transB ? [n, k] : [k, n], -1, 1, 'float32', 2);
  const c = tf.matMul(a, b, transA, transB);
  const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()]);
  tf.dispose([a, b, c]);
  let worst = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += av[transA ? p * m + i : i * k + p]! * bv[transB ? j * k + p : p * n + j]!;
      worst = Math.max(worst, Math.abs(s - cv[i * n + j]!));
    }
  return worst;
}

describe.skipIf(!gpu)('webgpu BatchMatMul with the split-K fix', () => {
  // An f32 product over K ≤ 3072 terms of |x| ≤ 1 is within K·2⁻²⁴·K of the exact one (γ_K · Σ|a||b|): 6e-4.
  const BOUND = 1e-3;
  it.each([
    [96, 3072, 16, false, true], // x·Aᵀ of down_proj's LoRA at 96 rows (B8's 12-token last prefill chunk)
    [9, 2048, 16, false, true],
    [32, 2048, 48, false, true],
    [12, 2500, 20, true, true],
  ])('%d×%d·%d (transA %s, transB %s), a split-K shape: exact to f32 rounding', async (m, k, n, ta, tb) => {
    expect(takesSplitK(ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], { transposeA: ta, transposeB: tb }, 8)).toBe(true);
    expect(await worstError(m, k, n, ta, tb)).toBeLessThan(BOUND);
  });

  it('leaves the shapes tfjs computes right to its own kernel', async () => {
    expect(takesSplitK([9, 1024], [16, 1024], { transposeA: false, transposeB: true }, 8)).toBe(false); // K < 2000
    expect(takesSplitK([300, 2048], [16, 2048], { transposeA: false, transposeB: true }, 8)).toBe(false); // 10 tiles
    expect(takesSplitK([2, 3, 2048], [2, 16, 2048], { transposeA: false, transposeB: true }, 8)).toBe(false); // batch 2
    expect(await worstError(300, 2048, 16, false, true)).toBeLessThan(BOUND);
    // A transposed A alone: split-K, and right without the fix (checked with it off).
    expect(takesSplitK([2048, 16], [2048, 40], { transposeA: true, transposeB: false }, 8)).toBe(true);
    expect(await worstError(16, 2048, 40, true, false)).toBeLessThan(BOUND);
  });
});
