import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { KvCache } from './kv-cache.js';
import { writeRows, writeRowsTogether } from './write-rows.js';
import { ownDispatchCount } from '../gpu/webgpu-internals.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';

afterAll(async () => {
  await initBackend('cpu');
});

/** What writeRows must produce, built with plain tf ops (slices and a concat: a copy). */
function expected(dst: tf.Tensor4D, src: tf.Tensor4D, start: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , cap] = dst.shape;
    const t = src.shape[2];
    const head = tf.slice(dst, [0, 0, 0, 0], [-1, -1, start, -1]);
    const tail = tf.slice(dst, [0, 0, start + t, 0], [-1, -1, cap - start - t, -1]);
    return tf.concat([head, src, tail], 2) as tf.Tensor4D;
  });
}

describe.each(['cpu', 'wasm'] as const)('writeRows and KvCache on %s', (backend) => {
  it('writes rows in place (the same tensor), leaving the other rows as they were', async () => {
    await initBackend(backend);
    const dst = tf.keep(tf.randomUniform([2, 3, 7, 4], -1, 1, 'float32', 1)) as tf.Tensor4D;
    for (const [start, t] of [
      [0, 3],
      [3, 1],
      [6, 1],
    ] as const) {
      const src = tf.randomUniform([2, 3, t, 4], -1, 1, 'float32', start + 10) as tf.Tensor4D;
      const want = expected(dst, src, start);
      expect(writeRows(dst, src, start)).toBe(dst);
      expect(Array.from(await dst.data())).toEqual(Array.from(await want.data()));
      tf.dispose([src, want]);
    }
    expect(() => writeRows(dst, tf.zeros([2, 3, 2, 4]) as tf.Tensor4D, 6)).toThrow(RangeError);
    dst.dispose();
  });

  it('decoding steps allocate no tensor and keep the cache tensors (no concat per token)', async () => {
    await initBackend(backend);
    const cache = new KvCache({ numLayers: 2, batch: 2, kvHeads: 1, headDim: 4, capacity: 6 });
    const step = (t: number) => {
      const { keyMask, queryStart } = cache.begin(tf.ones([2, t]) as tf.Tensor2D);
      const kv = cache.update(1, tf.ones([2, 1, t, 4]) as tf.Tensor4D, tf.ones([2, 1, t, 4]) as tf.Tensor4D);
      keyMask.dispose();
      return { kv, queryStart };
    };
    const first = tf.tidy(() => step(3).kv);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { kv, queryStart } = tf.tidy(() => step(1));
      expect(queryStart).toBe(3 + i);
      expect(kv.k).toBe(first.k);
      expect(kv.k.shape).toEqual([2, 1, 6, 4]);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(cache.length).toBe(6);
    expect(() => cache.begin(tf.ones([2, 1]) as tf.Tensor2D)).toThrow(RangeError);
    cache.dispose();
  });
});

describe('KvCache on webgpu', async () => {
  const gpu = await webgpuForTests();
  it.skipIf(!gpu)('is made on the device: no cache-sized tensor is built on the host and uploaded', async () => {
    await initBackend('webgpu');
    // The seed's prefix at batch 8 would upload 8.7 GB of host zeros per generation (kv-cache.ts).
    const be = tf.backend() as unknown as {
      uploadToGPU(id: object): void;
      tensorMap: { get(id: object): { values?: unknown; shape: number[] } | undefined };
    };
    const upload = be.uploadToGPU.bind(be);
    const uploaded: number[] = [];
    be.uploadToGPU = (id: object) => {
      const d = be.tensorMap.get(id);
      if (d?.values) uploaded.push(d.shape.reduce((a, n) => a * n, 1));
      upload(id);
    };
    try {
      const shape = { numLayers: 2, batch: 2, kvHeads: 2, headDim: 8, capacity: 40 };
      const cache = new KvCache(shape);
      const { keyMask } = cache.begin(tf.ones([2, 3]) as tf.Tensor2D);
      const kv = cache.update(0, tf.ones([2, 2, 3, 8]) as tf.Tensor4D, tf.ones([2, 2, 3, 8]) as tf.Tensor4D);
      const k = await kv.k.data();
      expect(k[0]).toBe(1);
      expect(k[3 * 8]).toBe(0); // row 3 of head 0: not written, zero
      expect(uploaded.length).toBeGreaterThan(0); // the new rows and the mask do travel
      expect(Math.max(...uploaded)).toBeLessThan(2 * 2 * 40 * 8);
      keyMask.dispose(); // kv.k and kv.v are the cache's own tensors here (all rows visible): cache.dispose frees them
      // A decode step writes every layer's keys and values with one parameter tensor (plus the mask's own):
      // a tensor per write would be an upload per write, 56 a step for Qwen3-0.6B.
      uploaded.length = 0;
      const next = cache.begin(tf.ones([2, 1]) as tf.Tensor2D);
      for (const layer of [0, 1])
        cache.update(layer, tf.ones([2, 2, 1, 8]) as tf.Tensor4D, tf.ones([2, 2, 1, 8]) as tf.Tensor4D);
      expect(uploaded.filter((n) => n === 5)).toHaveLength(2);
      next.keyMask.dispose();
      // The next step rewrites their start row in place: it uploads none (so it can be replayed).
      uploaded.length = 0;
      const third = cache.begin(tf.ones([2, 1]) as tf.Tensor2D);
      for (const layer of [0, 1])
        cache.update(layer, tf.fill([2, 2, 1, 8], 2) as tf.Tensor4D, tf.ones([2, 2, 1, 8]) as tf.Tensor4D);
      expect(uploaded.filter((n) => n === 5)).toHaveLength(0);
      const keys = await cache
        .update(1, tf.fill([2, 2, 1, 8], 3) as tf.Tensor4D, tf.ones([2, 2, 1, 8]) as tf.Tensor4D)
        .k.data();
      expect([keys[3 * 8], keys[4 * 8], keys[5 * 8]]).toEqual([1, 3, 0]); // rows 3 (second step), 4 (this one), 5 (unwritten)
      expect(Array.from(await third.keyMask.data()).slice(0, 6)).toEqual([1, 1, 1, 1, 1, 0]);
      third.keyMask.dispose();
      cache.dispose();
    } finally {
      be.uploadToGPU = upload;
      await initBackend('cpu');
    }
  });
});

describe("writeRowsTogether on webgpu: a layer's keys and values in one dispatch", async () => {
  const gpu = await webgpuForTests();
  it.skipIf(!gpu)('writes each pair as writeRows does, in one dispatch; pairs of other shapes one by one', async () => {
    await initBackend('webgpu');
    try {
      const [b, h, cap, d, t] = [3, 5, 37, 24, 7]; // odd sizes, none a multiple of the workgroup
      const fill = (shape: [number, number, number, number], seed: number) =>
        tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor4D;
      const dsts = [fill([b, h, cap, d], 1), fill([b, h, cap, d], 2)];
      const srcs = [fill([b, h, t, d], 3), fill([b, h, t, d], 4)];
      const want = dsts.map((dst, j) => expected(dst, srcs[j]!, 11));
      const before = ownDispatchCount();
      const got = writeRowsTogether(
        [
          [dsts[0]!, srcs[0]!],
          [dsts[1]!, srcs[1]!],
        ],
        11,
      );
      expect(ownDispatchCount() - before).toBe(1);
      expect(got[0]).toBe(dsts[0]);
      expect(got[1]).toBe(dsts[1]);
      for (const j of [0, 1]) expect(Array.from(await got[j]!.data())).toEqual(Array.from(await want[j]!.data()));
      // Different shapes: one write each, the same values as writeRows.
      const small = fill([b, h, 9, d], 5);
      const row = fill([b, h, 1, d], 6);
      const wantSmall = expected(small, row, 2);
      const mark = ownDispatchCount();
      const [, gotSmall] = writeRowsTogether(
        [
          [dsts[0]!, srcs[0]!],
          [small, row],
        ],
        2,
      );
      expect(ownDispatchCount() - mark).toBe(2);
      expect(Array.from(await gotSmall!.data())).toEqual(Array.from(await wantSmall.data()));
      expect(() => writeRowsTogether([[dsts[0]!, srcs[0]!]], cap - 2)).toThrow(RangeError);
      tf.dispose([...dsts, ...srcs, ...want, small, row, wantSmall]);
    } finally {
      await initBackend('cpu');
    }
  });
});
