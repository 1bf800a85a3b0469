import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { hashDropoutWebgpu } from '../gpu/hash-dropout-wgsl.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { hashDropout, hashDropoutKeeps, hashDropoutParams, lowbias32 } from './hash-dropout.js';
import { loraBranch } from './lora-branch.js';
import type { LoraPair } from './linear.js';

const values = (n: number, seed: number) => tf.randomUniform([n], -3, 3, 'float32', seed);

describe('hashDropout on the CPU', () => {
  it('lowbias32 is a u32 permutation-like hash: distinct outputs for distinct inputs, never negative', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const h = lowbias32(i);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
      seen.add(h);
    }
    expect(seen.size).toBe(10_000);
  });

  it('drops each element with probability rate, and scales the rest by 1/(1 − rate) in f32', async () => {
    await initBackend('cpu');
    const n = 400_000;
    const x = values(n, 1);
    for (const rate of [0.05, 0.5]) {
      const y = hashDropout(x, rate, 123).dataSync();
      const xs = x.dataSync();
      const scale = Math.fround(1 / Math.fround(1 - rate));
      let dropped = 0;
      let misscaled = 0;
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) dropped++;
        else if (y[i] !== Math.fround(xs[i]! * scale)) misscaled++;
      }
      expect(misscaled).toBe(0);
      // Binomial(n, rate): 6 standard deviations (a uniform x is never exactly 0 here).
      expect(Math.abs(dropped - n * rate)).toBeLessThan(6 * Math.sqrt(n * rate * (1 - rate)));
    }
    x.dispose();
  });

  it('the mask depends on the seed and the index only: same seed same mask, another seed another', () => {
    const a = values(50_000, 2);
    const b = values(50_000, 3);
    const zeros = (t: tf.Tensor) => [...t.dataSync()].map((v) => v === 0);
    const ma = zeros(hashDropout(a, 0.1, 7));
    expect(zeros(hashDropout(b, 0.1, 7))).toEqual(ma);
    const other = zeros(hashDropout(a, 0.1, 8));
    const differ = other.filter((d, i) => d !== ma[i]).length;
    // Independent masks differ where exactly one drops: 2 · 0.1 · 0.9 of the elements.
    expect(Math.abs(differ - 0.18 * 50_000)).toBeLessThan(6 * Math.sqrt(50_000 * 0.18 * 0.82));
    tf.dispose([a, b]);
  });

  it('neighbouring elements are not correlated (the index is hashed before the key)', () => {
    const p = hashDropoutParams(0.5, 99);
    let same = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) if (hashDropoutKeeps(i, p) === hashDropoutKeeps(i + 1, p)) same++;
    expect(Math.abs(same - n / 2)).toBeLessThan(6 * Math.sqrt(n / 4));
  });

  it('refuses a rate outside [0, 1) and a non-integer seed', () => {
    const x = tf.ones([4]);
    expect(() => hashDropout(x, 1, 1)).toThrow(/rate must be in \[0, 1\)/);
    expect(() => hashDropout(x, -0.1, 1)).toThrow(/rate/);
    expect(() => hashDropout(x, 0.1, 1.5)).toThrow(/seed must be an integer/);
    x.dispose();
  });

  it("loraBranch's input gradient applies the forward's mask (against tfjs autodiff through an explicit mask)", () => {
    const rate = 0.3;
    const seed = 41;
    const x = tf.randomUniform([37, 24], -1, 1, 'float32', 5) as tf.Tensor2D;
    const a = tf.variable(tf.randomUniform([4, 24], -1, 1, 'float32', 6)) as tf.Variable<tf.Rank.R2>;
    const b = tf.variable(tf.randomUniform([16, 4], -1, 1, 'float32', 7)) as tf.Variable<tf.Rank.R2>;
    const w = tf.randomUniform([37, 16], -1, 1, 'float32', 8);
    const lora: LoraPair = { a, b, scaling: 2, dropout: rate };
    const mask = hashDropout(tf.onesLike(x), rate, seed);
    const ours = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(
        tf.mul(
          loraBranch(
            xi as tf.Tensor2D,
            { ...lora, a: ai as tf.Variable<tf.Rank.R2>, b: bi as tf.Variable<tf.Rank.R2> },
            seed,
          ),
          w,
        ),
      ),
    )([x, a, b]);
    const ref = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(tf.mul(tf.matMul(tf.matMul(tf.mul(xi, mask), ai, false, true), bi, false, true), 2), w)),
    )([x, a, b]);
    for (let i = 0; i < 3; i++) expect(ours[i]!.dataSync()).toEqual(ref[i]!.dataSync());
    tf.dispose([x, a, b, w, mask, ...ours, ...ref]);
  });
});

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

describe.skipIf(!gpu)('hashDropout on webgpu', () => {
  it('equals the CPU bit for bit, across workgroups and in slices (a tensor over one binding)', async () => {
    const sizes = [1, 255, 257, 70_001];
    const cpu: Float32Array[] = [];
    await initBackend('cpu');
    const inputs = sizes.map((n, k) => values(n, 10 + k).dataSync() as Float32Array);
    for (const [k, n] of sizes.entries())
      cpu.push(hashDropout(tf.tensor1d(inputs[k]!), 0.05, 1000 + n).dataSync() as Float32Array);
    await initBackend('webgpu');
    for (const [k, n] of sizes.entries()) {
      const x = tf.tensor1d(inputs[k]!);
      const y = hashDropout(x, 0.05, 1000 + n);
      expect(await y.data()).toEqual(cpu[k]);
      // The sliced path with slices of 256 elements: the mask still follows the whole tensor's indices.
      const sliced = hashDropoutWebgpu(x, hashDropoutParams(0.05, 1000 + n), 256);
      expect(await sliced.data()).toEqual(cpu[k]);
      tf.dispose([x, y, sliced]);
    }
  });
});
