import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { HostAdamW } from './host-adamw.js';

/**
 * Plain float64 Adam as the demo's loops were tuned with (betas .9/.98, eps 1e-8, decoupled
 * decay, global-norm clip 1), one step at learning rate `lr`: the reference HostAdamW must match.
 */
interface AdamState {
  p: number[][];
  m: number[][];
  v: number[][];
  t: number;
}

function referenceStep(s: AdamState, g: number[][], lr: number, wd = 0): void {
  const norm = Math.sqrt(g.flat().reduce((a, x) => a + x * x, 0));
  const coef = Math.min(1, 1 / (norm + 1e-6));
  s.t++;
  s.p.forEach((p, i) =>
    p.forEach((_, j) => {
      const gj = g[i]![j]! * coef;
      s.m[i]![j] = 0.9 * s.m[i]![j]! + 0.1 * gj;
      s.v[i]![j] = 0.98 * s.v[i]![j]! + 0.02 * gj * gj;
      const mh = s.m[i]![j]! / (1 - 0.9 ** s.t);
      const vh = s.v[i]![j]! / (1 - 0.98 ** s.t);
      p[j] = p[j]! * (1 - lr * wd) - (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }),
  );
}

const gradsAt = (k: number): number[][] => [
  [Math.sin(k + 1) * 3, -2 + k, 0.5],
  [Math.cos(k * 2) * 0.1, 4],
];

describe('HostAdamW', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('follows warmup + cosine (torch LambdaLR: lr 0 first) and matches plain Adam with clipping', async () => {
    const p0 = [
      [1, -1, 0.5],
      [2, 0],
    ];
    const vars = p0.map((p) => tf.variable(tf.tensor1d(p), true));
    const opt = new HostAdamW(vars, { lr: 0.1, totalSteps: 4, warmupRatio: 0.5, weightDecay: 0.01 });
    const ref = { p: p0.map((p) => [...p]), m: p0.map((p) => p.map(() => 0)), v: p0.map((p) => p.map(() => 0)), t: 0 };
    const lrs: number[] = [];
    const before = tf.memory().numTensors;
    for (let k = 0; k < 4; k++) {
      const g = gradsAt(k);
      const grads: tf.NamedTensorMap = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor1d(g[i]!)]));
      const { lr, gradNorm } = await opt.step(grads);
      expect(gradNorm).toBeCloseTo(Math.sqrt(g.flat().reduce((a, x) => a + x * x, 0)), 4);
      // The caller still owns the gradients.
      expect(Object.values(grads).every((t) => !t.isDisposed)).toBe(true);
      tf.dispose(Object.values(grads));
      referenceStep(ref, g, lr, 0.01);
      lrs.push(lr);
    }
    expect(tf.memory().numTensors).toBe(before);
    // 2 warmup steps (k/2), then half a cosine over the remaining 2.
    [0, 0.05, 0.1, 0.05].forEach((x, i) => expect(lrs[i]).toBeCloseTo(x, 12));
    vars.forEach((v, i) => {
      [...(v.dataSync() as Float32Array)].forEach((x, j) => expect(x).toBeCloseTo(ref.p[i]![j]!, 5));
    });
    expect(vars[1]!.dataSync()[1]).not.toBeCloseTo(p0[1]![1]!, 2);
    tf.dispose(vars);
  });

  it('without warmup, step 1 moves each weight by about lr against its gradient; no gradient, no change', async () => {
    const a = tf.variable(tf.tensor1d([1, 1]), true);
    const b = tf.variable(tf.tensor1d([5]), true);
    const opt = new HostAdamW([a, b], { lr: 0.01, totalSteps: 10, warmupRatio: 0 });
    const g = tf.tensor1d([30, -0.003]);
    await opt.step({ [a.name]: g });
    const [x, y] = a.dataSync() as Float32Array;
    expect(x).toBeCloseTo(0.99, 6);
    expect(y).toBeCloseTo(1.01, 5); // |g| after clipping is 1e-4: eps 1e-8 takes 1e-4 of the step
    expect(b.dataSync()[0]).toBe(5);
    tf.dispose([a, b, g]);
  });
});
