/**
 * bf16 checkpoint tensors widened on the GPU (bf16-widen.ts) are the host's widening bit for bit, alone and
 * through the loaders (a Qwen3 in f16 with its embedding in row shards, every frozen weight's halves equal).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { toFloat32 } from '../io/dtype.js';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import { OTHER_CONFIGS } from '../testing/random-qwen3.js';
import { writeRandomQwen3 } from '../testing/write-random-qwen3.js';
import { F16Matrix } from './f16-matrix.js';
import { F16RowMatrix } from './f16-embedding.js';
import * as widen from './bf16-widen.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/** n bf16 values with every exponent and sign, subnormals, ±0, ±∞ and a NaN among them. */
function bf16Bytes(n: number, offset = 0): Uint8Array {
  const buf = new Uint8Array(2 * n + offset);
  const bits = new DataView(buf.buffer);
  for (let i = 0; i < n; i++) bits.setUint16(offset + 2 * i, (i * 40503 + 12345) & 0xffff, true);
  if (n > 4) [0x0000, 0x8000, 0x7f80, 0x7fc1].forEach((b, k) => bits.setUint16(offset + 2 * k, b, true));
  return buf.subarray(offset);
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  expect(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  ).toBe(true);

describe.skipIf(!gpu)('bf16 widened on the GPU', () => {
  it('equals the host widening bit for bit: even and odd counts, unaligned bytes, the second dispatch row', async () => {
    for (const [n, offset, row] of [
      [64 * 48, 0, undefined],
      [37 * 29, 0, undefined],
      [40 * 40, 2, undefined],
      [256 * 2 * 3 + 10, 0, 1],
    ] as const) {
      const bytes = bf16Bytes(n, offset);
      const t = widen.widenBf16OnGpu(bytes, [n], Infinity, row)!;
      sameBits(new Float32Array(await t.data()), toFloat32('BF16', bytes));
      t.dispose();
    }
  });
  it('leaves a tensor over the byte limit, or bytes that do not match the shape, to the host', () => {
    expect(widen.widenBf16OnGpu(bf16Bytes(100), [100], 399)).toBeUndefined();
    expect(widen.widenBf16OnGpu(bf16Bytes(100), [101], Infinity)).toBeUndefined();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('a bf16 Qwen3 loaded in f16 (embedding in row shards) holds the same halves either way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-bf16-widen-'));
    await writeRandomQwen3(dir, OTHER_CONFIGS['untied, head_dim 12, 4:1 GQA, bias, eps 1e-5, theta 5000']!, {
      seed: 3,
      dtype: 'BF16',
    });
    // 4 KiB a shard: the embedding and head load as several shards, each widened from its own rows' bytes
    const opts = { precision: 'f16', maxTensorBytes: 4096 } as const;
    const spy = vi.spyOn(widen, 'widenBf16OnGpu');
    const viaGpu = await loadQwen3(dir, opts);
    expect(spy).toHaveBeenCalled();
    expect(spy.mock.results.every((r) => r.value !== undefined)).toBe(true);
    spy.mockReturnValue(undefined); // every tensor widened on the host
    const viaHost = await loadQwen3(dir, opts);
    spy.mockRestore();
    const halves = async (m: typeof viaGpu) => {
      const out: Int32Array[] = [];
      const add = async (x: unknown) => {
        if (x instanceof F16Matrix) out.push(new Int32Array(await x.bits.data()));
        else if (x instanceof F16RowMatrix) for (const s of x.shards) out.push(new Int32Array(await s.bits.data()));
        else if (x instanceof tf.Tensor) out.push(new Int32Array((await x.data()).buffer));
      };
      await add(m.weights.embedTokens);
      await add(m.weights.lmHead);
      await add(m.weights.norm);
      for (const l of m.weights.layers)
        for (const v of Object.values(l)) await add((v as { weight?: unknown }).weight ?? v);
      return out;
    };
    const [a, b] = [await halves(viaGpu), await halves(viaHost)];
    expect(a.length).toBeGreaterThan(10);
    expect((viaGpu.weights.embedTokens as F16RowMatrix).shards.length).toBeGreaterThan(1);
    expect(a).toEqual(b);
    viaGpu.dispose();
    viaHost.dispose();
  });
});
