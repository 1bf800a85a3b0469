import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { linear, type AnyLinearWeights, type LoraPair } from '../nn/linear.js';
import { F16Matrix } from './f16-matrix.js';
import { gemmErrorRatio } from './gemm-error-ratio.js';
import { watchOurCompiles, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

// Awkward sizes (not multiples of any tile), a rank-3 input as the models pass.
const [B, T, IN, OUT] = [2, 19, 70, 45];
const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
/** max |t| (webgpu in Node reads tensors asynchronously only). */
async function maxAbs(t: tf.Tensor): Promise<number> {
  const m = tf.tidy(() => tf.max(tf.abs(t)));
  const v = (await m.data())[0]!;
  tf.dispose([m, t]);
  return v;
}

describe.skipIf(!gpu)('linear with an f16 weight (F16Matrix) against the f32 path', () => {
  it('forward: within the derived f16 GEMM bound (f16GemmBound) of x·Wᵀ', async () => {
    const x = rand([B, T, IN], 1) as tf.Tensor3D;
    const w = rand([OUT, IN], 2) as tf.Tensor2D;
    const wh = F16Matrix.fromTensor(w);
    const y = linear(x, { weight: wh });
    expect(y.shape).toEqual([B, T, OUT]);
    const y2 = tf.reshape(y, [B * T, OUT]) as tf.Tensor2D,
      x2 = tf.reshape(x, [B * T, IN]) as tf.Tensor2D;
    expect(await gemmErrorRatio(y2, x2, w, false, true)).toBeLessThanOrEqual(1);
    tf.dispose([x, w, y, y2, x2]);
    wh.dispose();
  });

  it('a new row count compiles no pipeline: the pack and the GEMM read M at run time, and stay in bound', async () => {
    // A generation's prompt length changes the rows of its last prefill chunk: each new M used to compile a
    // pack and a GEMM per layer shape (bench/results/2026-11-28-compile-census-lavapipe.md).
    const compiles = watchOurCompiles();
    const w = rand([OUT, IN], 11) as tf.Tensor2D;
    const wh = F16Matrix.fromTensor(w);
    const counts: number[] = [];
    try {
      // Past GEMV_MAX_ROWS: fewer rows take the GEMV, whose row buckets f16-gemv.test.ts counts.
      for (const rows of [40, 41, 130, 33]) {
        const x = rand([rows, IN], rows) as tf.Tensor2D;
        const y = linear(x, { weight: wh }) as tf.Tensor2D;
        expect(await gemmErrorRatio(y, x, w, false, true)).toBeLessThanOrEqual(1);
        counts.push(compiles.count());
        tf.dispose([x, y]);
      }
    } finally {
      compiles.stop();
      tf.dispose(w);
      wh.dispose();
    }
    // The first row count may compile; none after it.
    expect(counts.slice(1)).toEqual(counts.slice(1).map(() => counts[0]));
  });

  it('input gradient dx = dy·W: within the derived bound of the f32 product; no weight gradient', async () => {
    const x = rand([B * T, IN], 3) as tf.Tensor2D;
    const w = rand([OUT, IN], 4) as tf.Tensor2D;
    const dy = rand([B * T, OUT], 5) as tf.Tensor2D;
    const wh = F16Matrix.fromTensor(w);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(linear(xi, { weight: wh }), dy)))(x) as tf.Tensor2D;
    const dx32 = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(linear(xi, { weight: w }), dy)))(x) as tf.Tensor2D;
    expect(await gemmErrorRatio(dx, dy, w)).toBeLessThanOrEqual(1);
    // and the f32 path's gradient is the product the bound is measured against (to f32 rounding)
    const gap = await maxAbs(tf.tidy(() => tf.sub(dx32, tf.matMul(dy, w))));
    expect(gap).toBeLessThan(1e-5);
    tf.dispose([x, w, dy, dx, dx32]);
    wh.dispose();
  });

  it('bias and LoRA stay f32: LoRA gradients equal the f32 path, bias is added as is', async () => {
    const x = rand([B * T, IN], 6) as tf.Tensor2D;
    const w = rand([OUT, IN], 7) as tf.Tensor2D;
    const bias = rand([OUT], 8) as tf.Tensor1D;
    const dy = rand([B * T, OUT], 9) as tf.Tensor2D;
    const a = tf.variable(rand([4, IN], 10)),
      b = tf.variable(rand([OUT, 4], 11));
    const lora: LoraPair = { a: a as tf.Variable<tf.Rank.R2>, b: b as tf.Variable<tf.Rank.R2>, scaling: 2, dropout: 0 };
    const wh = F16Matrix.fromTensor(w);
    const gradsOf = (lw: AnyLinearWeights) =>
      tf.variableGrads(() => tf.sum(tf.mul(linear(x, lw, lora), dy)) as tf.Scalar, [a, b]);
    const g16 = gradsOf({ weight: wh, bias }),
      g32 = gradsOf({ weight: w, bias });
    for (const v of [a, b]) {
      const d = await maxAbs(tf.sub(g16.grads[v.name]!, g32.grads[v.name]!));
      expect(d).toBeLessThanOrEqual(1e-6 * (await maxAbs(tf.clone(g32.grads[v.name]!))));
    }
    const withBias = linear(x, { weight: wh, bias }),
      without = linear(x, { weight: wh });
    const biasGap = await maxAbs(tf.tidy(() => tf.sub(tf.sub(withBias, without), bias)));
    expect(biasGap).toBeLessThan(1e-5);
    tf.dispose([x, w, bias, dy, a, b, withBias, without, g16.value, g32.value]);
    tf.dispose([...Object.values(g16.grads), ...Object.values(g32.grads)]);
    wh.dispose();
  });

  it('leaves no tensors behind over repeated forward and backward passes; dispose frees the f16 bits', () => {
    const x = rand([B * T, IN], 12) as tf.Tensor2D;
    const wh = F16Matrix.fromTensor(rand([OUT, IN], 13) as tf.Tensor2D);
    const step = () => tf.dispose(tf.grad((xi: tf.Tensor) => tf.sum(linear(xi, { weight: wh })))(x));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    wh.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    expect(wh.isDisposed).toBe(true);
    x.dispose();
  });

  it('toTensor returns the f16 values exactly (f16 rounding of the source, within one f16 ulp)', async () => {
    const w = tf.mul(rand([OUT, IN], 14), 300) as tf.Tensor2D;
    const wh = F16Matrix.fromTensor(w);
    const back = wh.toTensor();
    const [src, got] = [await w.data(), await back.data()];
    let worst = 0;
    for (let i = 0; i < src.length; i++) worst = Math.max(worst, Math.abs(got[i]! - src[i]!) / Math.abs(src[i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -10);
    expect(Array.from(await wh.toTensor().data()).every((v, i) => v === got[i])).toBe(true);
    tf.dispose([w, back]);
    wh.dispose();
  });
});
