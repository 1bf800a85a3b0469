/**
 * The KV cache's f16 rows on webgpu (lavapipe in CI): writeRowsF16 puts each value's nearest half in place (the
 * words checked on the host, low half first), readF16Rows gives them back as float32 exactly, and KvCache in f16
 * mode hands a decoding step its rows as they are and a prefill chunk float32 copies. Nothing but the decode
 * kernels takes the rows (attention-fused.ts refuses them elsewhere, with a message).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { ownDispatchCount } from '../gpu/webgpu-internals.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { f16Round, halfBits, halfValue } from '../testing/f16-round.js';
import { attention } from './attention.js';
import { KvCache } from './kv-cache.js';
import { readF16Rows } from './read-f16-rows.js';
import { writeRowsF16 } from './write-rows.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const shape4 = (s: number[]) => s as [number, number, number, number];

/** Values spread over f16's range: normal, subnormal (|x| < 2⁻¹⁴), near its largest, and exact halves. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const u = s / 2 ** 31 - 0.5;
    const kind = i % 5;
    out[i] = kind === 0 ? u * 8 : kind === 1 ? u * 2 ** -15 : kind === 2 ? u * 1.2e5 : kind === 3 ? u : i / 4;
  }
  return out;
}

describe.skipIf(!gpu)('f16 rows of a KV cache on webgpu', () => {
  it('writeRowsF16 writes each value’s nearest half into rows [start, start + t), low half first; readF16Rows reads them back', async () => {
    await initBackend('webgpu');
    const [b, h, cap, d, t, start] = [2, 3, 13, 10, 4, 6];
    const dsts = [0, 1].map(() => tf.fill(shape4([b, h, cap, d / 2]), 0, 'int32') as tf.Tensor4D);
    const hosts = [values(b * h * t * d, 1), values(b * h * t * d, 2)];
    const srcs = hosts.map((v) => tf.tensor4d(v, [b, h, t, d]));
    const before = ownDispatchCount();
    writeRowsF16(
      [
        [dsts[0]!, srcs[0]!],
        [dsts[1]!, srcs[1]!],
      ],
      start,
    );
    expect(ownDispatchCount() - before).toBe(1);
    for (const j of [0, 1]) {
      const words = (await dsts[j]!.data()) as Int32Array;
      for (let bh = 0; bh < b * h; bh++) {
        for (let row = 0; row < cap; row++) {
          for (let c = 0; c < d; c++) {
            const w = words[(bh * cap + row) * (d / 2) + (c >> 1)]!;
            const got = halfValue(c & 1 ? (w >>> 16) & 0xffff : w & 0xffff);
            const inRows = row >= start && row < start + t;
            const x = inRows ? hosts[j]![(bh * t + row - start) * d + c]! : 0;
            // Nearest: within half a unit of the last place, and a half itself (ties may go either way).
            const ulp = Math.abs(halfValue(halfBits(x) + 1) - f16Round(x)) || 2 ** -24;
            expect(Math.abs(got - x)).toBeLessThanOrEqual(ulp / 2);
            expect(f16Round(got)).toBe(got);
          }
        }
      }
      const back = readF16Rows(dsts[j]!, start + t);
      expect(back.shape).toEqual([b, h, start + t, d]);
      const f = await back.data();
      for (let bh = 0; bh < b * h; bh++)
        for (let row = 0; row < start + t; row++)
          for (let c = 0; c < d; c++) {
            const w = words[(bh * cap + row) * (d / 2) + (c >> 1)]!;
            expect(f[(bh * (start + t) + row) * d + c]).toBe(halfValue(c & 1 ? (w >>> 16) & 0xffff : w & 0xffff));
          }
      back.dispose();
    }
    expect(() => writeRowsF16([[dsts[0]!, srcs[0]!]], cap - t + 1)).toThrow(RangeError);
    expect(() => writeRowsF16([[srcs[0]!, srcs[1]!]], 0)).toThrow(RangeError); // not f16 rows of that width
    tf.dispose([...dsts, ...srcs]);
  });

  it('KvCache in f16 mode: a decoding step gets its f16 rows, a chunk float32 copies of the written rows', async () => {
    await initBackend('webgpu');
    const cache = new KvCache({ numLayers: 1, batch: 2, kvHeads: 2, headDim: 8, capacity: 600, f16: true });
    const k = tf.tensor4d(values(2 * 2 * 3 * 8, 3), [2, 2, 3, 8]);
    const v = tf.tensor4d(values(2 * 2 * 3 * 8, 4), [2, 2, 3, 8]);
    // A chunk of 3 tokens: float32 rows rounded up to KEY_BLOCK (512), the 3 written ones the halves of k and v.
    cache.begin(tf.ones([2, 3]) as tf.Tensor2D).keyMask.dispose();
    const chunk = cache.update(0, k, v);
    expect(chunk.k.dtype).toBe('float32');
    expect(chunk.k.shape).toEqual([2, 2, 512, 8]);
    const [kh, ck] = [await k.data(), await chunk.k.data()];
    for (let bh = 0; bh < 4; bh++)
      for (let i = 0; i < 3 * 8; i++) expect(ck[bh * 512 * 8 + i]).toBe(f16Round(kh[bh * 3 * 8 + i]!) || 0);
    expect(ck[4 * 8]).toBe(0); // row 4, unwritten
    tf.dispose([chunk.k, chunk.v]);
    // One token: the rows themselves, int32 words, [.., d/2].
    cache.begin(tf.ones([2, 1]) as tf.Tensor2D).keyMask.dispose();
    const one = tf.fill([2, 2, 1, 8], 0.1) as tf.Tensor4D;
    const step = cache.update(0, one, one);
    expect(step.k.dtype).toBe('int32');
    expect(step.k.shape).toEqual([2, 2, 600, 4]);
    const words = (await step.k.data()) as Int32Array;
    expect(halfValue(words[3 * 4]! & 0xffff)).toBe(f16Round(0.1)); // row 3 of the first (sequence, head)
    // Nothing but the decode kernels reads them: two query rows are refused with a message.
    const q2 = tf.zeros([2, 4, 2, 8]) as tf.Tensor4D;
    expect(() => attention(q2, step.k, step.v)).toThrow(/decode kernels only/);
    try {
      attention(q2, step.k, step.v);
    } catch (e) {
      expect(e).toMatchObject({ code: 'E_GPU_F16_ROWS', hint: expect.stringContaining('kvCache') });
    }
    tf.dispose([k, v, one, q2]);
    cache.dispose();
  });

  it('refuses f16 rows off webgpu', async () => {
    await initBackend('cpu');
    expect(() => new KvCache({ numLayers: 1, batch: 1, kvHeads: 1, headDim: 8, capacity: 4, f16: true })).toThrow(
      /f16 rows need webgpu/,
    );
  });
});
