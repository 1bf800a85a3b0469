import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { ownDispatchesOf, webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { uniformMatrix } from '../testing/uniform-matrix.js';
import { addRmsNorm, rmsNorm } from './rms-norm.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const EPS = 1e-6;

/**
 * The residual add fused into the next RMSNorm (gpu/rms-norm-wgsl.ts addRmsNormForwardWgsl). It does the same
 * operations in the same order as tf.add and then the fused norm, so both outputs must equal theirs bit for bit
 * (not within a bound): a decoder layer's output is then the same whichever path ran.
 */
describe.skipIf(!gpu)('addRmsNorm: x + h and its RMSNorm in one dispatch at inference', () => {
  it.each([[[3, 5, 1024]], [[2, 7, 70]], [[1, 1, 2048]]])(
    '%j: the sum and the norm equal tf.add and rmsNorm bit for bit',
    async (shape) => {
      const d = shape[2]!;
      const rows = shape[0]! * shape[1]!;
      const x = tf.reshape(uniformMatrix([rows, d], 1, -4, 4), shape);
      const h = tf.reshape(uniformMatrix([rows, d], 2, -4, 4), shape);
      const w = tf.reshape(uniformMatrix([1, d], 3, 0.5, 1.5), [d]);
      const fused = addRmsNorm(x, h, w, EPS);
      const sum = tf.add(x, h);
      const y = rmsNorm(sum, w, EPS);
      const [fs, fy, rs, ry] = await Promise.all([fused.sum, fused.y, sum, y].map((t) => t.data()));
      expect(fused.sum.shape).toEqual(shape);
      expect(fused.y.shape).toEqual(shape);
      expect(Array.from(fs!)).toEqual(Array.from(rs!));
      expect(Array.from(fy!)).toEqual(Array.from(ry!));
      // Not trivially equal: the norm changed the values.
      expect(Array.from(fy!).some((v, i) => v !== rs![i])).toBe(true);
      tf.dispose([x, h, w, fused.sum, fused.y, sum, y]);
    },
  );

  it('one dispatch at inference; where a gradient is recorded, the add and the norm, with the same gradient', async () => {
    const x = tf.reshape(uniformMatrix([6, 64], 4, -2, 2), [2, 3, 64]);
    const h = tf.reshape(uniformMatrix([6, 64], 5, -2, 2), [2, 3, 64]);
    const w = tf.reshape(uniformMatrix([1, 64], 6, 0.5, 1.5), [64]);
    const both = (r: { sum: tf.Tensor; y: tf.Tensor }) => [r.sum, r.y];
    expect(ownDispatchesOf(() => both(addRmsNorm(x, h, w, EPS)))).toBe(1);
    const tfjsKernels = async (f: () => tf.Tensor[]) => (await tf.profile(f)).kernels.map((k) => k.name);
    expect(await tfjsKernels(() => both(addRmsNorm(x, h, w, EPS)))).not.toContain('Add');
    expect(ownDispatchesOf(() => both({ sum: tf.add(x, h), y: rmsNorm(tf.add(x, h), w, EPS) }))).toBe(1);
    // Under a tape: tf.add (tfjs's kernel) and the norm's own forward and backward.
    const loss = (a: tf.Tensor, b: tf.Tensor) => {
      const r = addRmsNorm(a, b, w, EPS);
      return tf.add(tf.sum(tf.mul(r.y, r.y)), tf.sum(r.sum));
    };
    const lossRef = (a: tf.Tensor, b: tf.Tensor) => {
      const s = tf.add(a, b);
      const y = rmsNorm(s, w, EPS);
      return tf.add(tf.sum(tf.mul(y, y)), tf.sum(s));
    };
    const g = tf.grads(loss)([x, h]);
    const gr = tf.grads(lossRef)([x, h]);
    const [g0, g1, r0, r1] = await Promise.all([...g, ...gr].map((t) => t.data()));
    expect(Array.from(g0!)).toEqual(Array.from(r0!));
    expect(Array.from(g1!)).toEqual(Array.from(r1!));
    tf.dispose([x, h, w, ...g, ...gr]);
  });
});

describe('addRmsNorm on the cpu backend: tf.add and rmsNorm', () => {
  it('equals them bit for bit', async () => {
    const prev = tf.getBackend();
    await initBackend('cpu');
    const x = tf.reshape(uniformMatrix([4, 24], 7, -3, 3), [1, 4, 24]);
    const h = tf.reshape(uniformMatrix([4, 24], 8, -3, 3), [1, 4, 24]);
    const w = tf.reshape(uniformMatrix([1, 24], 9, 0.5, 1.5), [24]);
    const r = addRmsNorm(x, h, w, EPS);
    const s = tf.add(x, h);
    const y = rmsNorm(s, w, EPS);
    expect(Array.from(await r.sum.data())).toEqual(Array.from(await s.data()));
    expect(Array.from(await r.y.data())).toEqual(Array.from(await y.data()));
    tf.dispose([x, h, w, r.sum, r.y, s, y]);
    if (prev === 'webgpu') await initBackend('webgpu');
  });
});
