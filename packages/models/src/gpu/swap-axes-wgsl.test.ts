/**
 * The head-layout swap (swap-axes-wgsl.ts, through nn/heads.ts) on webgpu (lavapipe in CI): the same values as
 * tf.transpose bit for bit both ways, the gradients too; one dispatch a swap; one pipeline for every sequence
 * length; tf.transpose where the kernel does not take the tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { headsFirst, mergeHeads } from '../nn/heads.js';
import { setFusedElementwiseDefault } from './fused-elementwise.js';
import { ownDispatchesOf, watchOurCompiles, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const rand = (shape: [number, number, number, number], seed: number): tf.Tensor4D =>
  tf.randomUniform(shape, -3, 3, 'float32', seed);
const bits = async (t: tf.Tensor) => Array.from(new Uint32Array((await t.data<'float32'>()).buffer));

describe.skipIf(!gpu)('swapping heads and tokens (one copy kernel)', () => {
  for (const [b, t, h, d] of [
    [2, 5, 3, 8],
    [1, 7, 4, 12],
    [3, 1 + 64 * 4, 2, 4],
  ] as const) {
    it(`[${b}, ${t}, ${h}, ${d}]: headsFirst and mergeHeads equal tf.transpose bit for bit, with their gradients`, async () => {
      const x = rand([b, t, h, d], 1);
      const w = rand([b, h, t, d], 2);
      expect(ownDispatchesOf(() => headsFirst(x))).toBe(1);
      const first = headsFirst(x);
      expect(first.shape).toEqual([b, h, t, d]);
      expect(await bits(first)).toEqual(await bits(tf.transpose(x, [0, 2, 1, 3])));
      const merged = mergeHeads(first);
      expect(merged.shape).toEqual([b, t, h * d]);
      expect(await bits(merged)).toEqual(await bits(tf.reshape(x, [b, t, h * d])));
      // d/dx Σ headsFirst(x)·w = w swapped back; through mergeHeads likewise.
      const gFirst = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(headsFirst(v as tf.Tensor4D), w)))(x);
      expect(await bits(gFirst)).toEqual(await bits(tf.transpose(w, [0, 2, 1, 3])));
      const wm = tf.randomUniform([b, t, h * d], -3, 3, 'float32', 3);
      const gMerge = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(mergeHeads(v as tf.Tensor4D), wm)))(w);
      expect(await bits(gMerge)).toEqual(await bits(tf.transpose(tf.reshape(wm, [b, t, h, d]), [0, 2, 1, 3])));
      tf.dispose([x, w, first, merged, gFirst, wm, gMerge]);
    });
  }

  it('compiles one pipeline a direction for every sequence length', () => {
    tf.dispose(headsFirst(rand([2, 9, 4, 8], 4)));
    tf.dispose(mergeHeads(rand([2, 4, 9, 8], 5)));
    const watch = watchOurCompiles();
    for (const t of [3, 17, 40]) {
      tf.dispose(headsFirst(rand([2, t, 4, 8], 6)));
      tf.dispose(mergeHeads(rand([1, 4, t, 8], 7)));
    }
    watch.stop();
    expect(watch.count()).toBe(0);
  });

  it('leaves rows of other widths, and everything with the fused kernels off, to tf.transpose', async () => {
    const x = rand([2, 5, 3, 6], 8);
    expect(ownDispatchesOf(() => headsFirst(x))).toBe(0);
    expect(await bits(headsFirst(x))).toEqual(await bits(tf.transpose(x, [0, 2, 1, 3])));
    setFusedElementwiseDefault(false);
    try {
      expect(ownDispatchesOf(() => headsFirst(rand([2, 5, 3, 8], 9)))).toBe(0);
    } finally {
      setFusedElementwiseDefault(true);
    }
    x.dispose();
  });
});
