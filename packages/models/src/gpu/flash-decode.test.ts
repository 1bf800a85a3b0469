/**
 * The key-split decode kernels (flash-decode-wgsl.ts) on webgpu (lavapipe in CI) against the tfjs attention op
 * on the CPU, within the derived bound (flashDecodeBound): GQA 4:1, 2:1 and 1:1, key counts that are not
 * multiples of the block or the split, head sizes below and above the workgroup, padding with a masked prefix
 * and an unwritten tail (a KV cache), and a row that sees nothing (the uniform average, as HF). The same cases
 * from f16 rows (a KV cache in f16 mode). Then which calls attention() hands to them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { paddingAttentionBias } from '../nn/attention-bias.js';
import { attention } from '../nn/attention.js';
import { flashDecodeBound, worstBoundRatio } from './flash-attention-tolerance.js';
import { decodeShapeOf, flashDecode } from './flash-decode.js';
import { decodeSplits } from './flash-decode-wgsl.js';
import { readF16Rows } from '../nn/read-f16-rows.js';
import { writeRowsF16 } from '../nn/write-rows.js';
import { ownDispatchCount, webgpuBackend } from './webgpu-internals.js';
import { ownDispatchesOf, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

interface Case {
  b: number;
  nh: number;
  nkv: number;
  s: number;
  d: number;
  /** Per sequence: [masked prefix, visible, masked tail]; none: no bias. */
  mask?: [number, number, number][];
}

const CASES: [string, Case][] = [
  [
    'GQA 2:1, d 128, 300 keys, left pads and an unwritten tail',
    {
      b: 2,
      nh: 4,
      nkv: 2,
      s: 300,
      d: 128,
      mask: [
        [0, 290, 10],
        [37, 250, 13],
      ],
    },
  ],
  ['GQA 4:1, d 64, 1000 keys (8 splits, the last partial), no bias', { b: 1, nh: 8, nkv: 2, s: 1000, d: 64 }],
  // 8 query heads a kv head at d 128: 128 outputs of 8 values, one per invocation (the 8B's 4:1: 64, two key subsets).
  ['GQA 8:1, d 128, 200 keys, no bias', { b: 2, nh: 8, nkv: 1, s: 200, d: 128 }],
  [
    '1:1, d 24 (three chunks of 8 a row; 32 key subsets), 5 keys, a row that sees nothing',
    {
      b: 3,
      nh: 2,
      nkv: 2,
      s: 5,
      d: 24,
      mask: [
        [0, 5, 0],
        [5, 0, 0],
        [1, 3, 1],
      ],
    },
  ],
  [
    'GQA 2:1, d 80 (20 outputs of 8 values, four key subsets each), 513 keys',
    { b: 1, nh: 2, nkv: 1, s: 513, d: 80, mask: [[3, 509, 1]] },
  ],
];

function inputs(c: Case, seed: number) {
  const rng = new SeededRandom(seed);
  const t = (shape: number[], lo = -1, hi = 1) =>
    tf.tensor(
      rng.uniform(
        shape.reduce((a, n) => a * n),
        lo,
        hi,
      ),
      shape,
    );
  const q = t([c.b, c.nh, 1, c.d], -2, 2) as tf.Tensor4D;
  const k = t([c.b, c.nkv, c.s, c.d], -2, 2) as tf.Tensor4D;
  const v = t([c.b, c.nkv, c.s, c.d]) as tf.Tensor4D;
  const mask = c.mask?.map(([pre, vis, tail]) => [
    ...Array<number>(pre).fill(0),
    ...Array<number>(vis).fill(1),
    ...Array<number>(tail).fill(0),
  ]);
  const bias = mask && paddingAttentionBias(tf.tensor2d(mask));
  return { q, k, v, bias };
}

describe.skipIf(!gpu)('flashDecode (one query row, keys split over workgroups) against the tfjs op', () => {
  /**
   * The tfjs op's result and the derived bound for case `c` on the CPU, then flashDecode on webgpu (`split` keys a
   * workgroup, or the default) over the same values: the worst ratio of its error to the bound.
   */
  async function boundRatio(c: Case, seed: number, split?: number): Promise<number> {
    await initBackend('cpu');
    const x = inputs(c, seed);
    const ref = attention(x.q, x.k, x.v, { bias: x.bias, fused: false });
    const bound = flashDecodeBound({ q: x.q, k: x.k, v: x.v, bias: x.bias });
    const [refV, boundV] = [await ref.data(), await bound.data()];
    const host = await Promise.all([x.q, x.k, x.v, x.bias].map((t) => t?.data()));
    tf.dispose([ref, bound, x.q, x.k, x.v, ...(x.bias ? [x.bias] : [])]);
    await initBackend('webgpu');
    const [q, k, v] = [x.q, x.k, x.v].map((t, i) => tf.tensor(host[i]!, t.shape)) as tf.Tensor4D[];
    const bias = x.bias && (tf.tensor(host[3]!, x.bias.shape) as tf.Tensor4D);
    const limit = webgpuBackend().device.limits.maxComputeWorkgroupStorageSize;
    const shape = decodeShapeOf(q!, k!, v!, bias, limit, split);
    expect(shape).toBeDefined();
    if (split !== undefined) expect(shape!.split).toBe(split);
    const got = flashDecode(shape!, q!, k!, v!, bias);
    const ratio = worstBoundRatio(await got.data(), refV, boundV);
    tf.dispose([got, q!, k!, v!, ...(bias ? [bias] : [])]);
    return ratio;
  }

  it.each(CASES)('%s: within the derived bound', async (_name, c) => {
    const ratio = await boundRatio(c, c.s + c.d);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(ratio).toBeGreaterThan(0); // a different summation order: not the same rounding, so the bound is what holds
  });

  // Other run lengths: the trees, the PV key subsets and the combine take every power of two the shape allows.
  it.each([32, 256, 512].flatMap((split) => [CASES[0]!, CASES[4]!].map(([name, c]) => [split, name, c] as const)))(
    'split %i keys a workgroup, %s: within the derived bound',
    async (split, _name, c) => {
      expect(await boundRatio(c, c.s + c.d + split, split)).toBeLessThanOrEqual(1);
    },
  );

  it('refuses a split that is not a power of two from 32 to 1024, or whose workgroup memory is over the limit', () => {
    const shape = { b: 1, nh: 2, nkv: 1, s: 100, d: 64, bias: false };
    for (const split of [16, 48, 2048]) expect(() => decodeSplits({ ...shape, split })).toThrow(/power of two/);
    const [q, k] = [tf.zeros([1, 2, 1, 64]), tf.zeros([1, 1, 100, 64])] as tf.Tensor4D[];
    // 2 query heads a kv head, d 64, 1024 keys: 2·64 + 2·1024·(4 + 2) + 8·16·8 words (decodePartialWords), 53.8 KB.
    expect(decodeShapeOf(q!, k!, k!, undefined, 32768, 1024)).toBeUndefined();
    expect(decodeShapeOf(q!, k!, k!, undefined, 65536, 1024)?.split).toBe(1024);
    tf.dispose([q!, k!]);
  });

  it.each(CASES)(
    '%s: from f16 rows (a KV cache in f16 mode), bit for bit the float32 kernel on the rows read back',
    async (_name, c) => {
      await initBackend('webgpu');
      const x = inputs(c, c.s + c.d);
      const rows = (t: tf.Tensor4D) => {
        const r = tf.fill([c.b, c.nkv, c.s, c.d / 2], 0, 'int32') as tf.Tensor4D;
        writeRowsF16([[r, t]], 0);
        return r;
      };
      const [kh, vh] = [rows(x.k), rows(x.v)];
      const [k32, v32] = [readF16Rows(kh, c.s), readF16Rows(vh, c.s)];
      const limit = webgpuBackend().device.limits.maxComputeWorkgroupStorageSize;
      const shape = decodeShapeOf(x.q, kh, vh, x.bias, limit);
      expect(shape?.f16).toBe(true);
      const got = flashDecode(shape!, x.q, kh, vh, x.bias);
      const want = flashDecode(decodeShapeOf(x.q, k32, v32, x.bias, limit)!, x.q, k32, v32, x.bias);
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      // attention() takes the rows to the same kernels.
      const viaOp = attention(x.q, kh, vh, { bias: x.bias });
      expect(Array.from(await viaOp.data())).toEqual(Array.from(await want.data()));
      tf.dispose([got, want, viaOp, kh, vh, k32, v32, x.q, x.k, x.v, ...(x.bias ? [x.bias] : [])]);
    },
  );

  it('attention() hands one query row to them when no gradient is recorded, and the flash kernels otherwise', async () => {
    await initBackend('webgpu');
    const x = inputs(
      {
        b: 2,
        nh: 4,
        nkv: 2,
        s: 70,
        d: 16,
        mask: [
          [0, 70, 0],
          [4, 60, 6],
        ],
      },
      9,
    );
    const opts = { bias: x.bias, causal: true, fused: true };
    expect(ownDispatchesOf(() => attention(x.q, x.k, x.v, opts))).toBe(2); // partial + combine
    expect(ownDispatchesOf(() => attention(x.q, x.k, x.v, { ...opts, fused: false }))).toBe(0);
    // Under a gradient tape the forward must keep its statistics: the flash forward (one dispatch), not these.
    let flash = 0;
    tf.grad((q: tf.Tensor) => {
      const before = ownDispatchCount();
      const y = attention(q as tf.Tensor4D, x.k, x.v, opts);
      flash = ownDispatchCount() - before;
      return tf.sum(y);
    })(x.q).dispose();
    expect(flash).toBe(1);
    // Two query rows: the flash forward.
    const q2 = tf.concat([x.q, x.q], 2) as tf.Tensor4D;
    expect(ownDispatchesOf(() => attention(q2, x.k, x.v, { ...opts, bias: undefined }))).toBe(1);
    tf.dispose([x.q, x.k, x.v, x.bias!, q2]);
  });
});
