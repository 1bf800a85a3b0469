/**
 * The GEMV with NF4 weights (nf4-gemv-wgsl.ts through f16-gemv.ts): a decoding step's products with the seed's
 * quantized weights, against tfjs f32 on the host's dequantized values (nf4-host.ts) within gemv-tolerance.ts's
 * derived bound, and bit for bit against itself where the f16 kernel's tests ask the same (a row alone, the
 * low-rank values given, the gated kernel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { linear, type LoraPair } from '../nn/linear.js';
import { swiGlu } from '../nn/swiglu.js';
import { swiGluLinear } from '../nn/swiglu-linear.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { uniformMatrix as uniform } from '../testing/uniform-matrix.js';
import { F16Matrix } from './f16-matrix.js';
import { f16GatedGemv, f16Gemv, gatedGemvTakes, gemvTakes, type GemvLora } from './f16-gemv.js';
import { PORTABLE_GEMV_TILING, TUNED_GEMV_TILING, type GemvTiling } from './f16-gemv-wgsl.js';
import { gemvBound, gemvReference, worstRatio } from './gemv-tolerance.js';
import { lowRankDown } from './low-rank-down.js';
import { hostNf4, randomNf4, type HostNf4 } from './nf4-host.js';
import { nf4GemvWgsl } from './nf4-gemv-wgsl.js';
import { ownDispatchesOf, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/** The NF4 kernel's chain (gemv-tolerance.ts): ≤ 32 fmas a unit, ≤ K/8 units a lane, ≤ 512 lanes. */
const bound = (x: tf.Tensor2D, w: tf.Tensor2D, lora?: GemvLora) => gemvBound(x, w, 32 + x.shape[1] / 8 + 512, 1, lora);
const dequantized = (h: HostNf4) => tf.tensor2d(h.dequantized(), [h.matrix.rows, h.matrix.cols]);

/** The defaults (PORTABLE_GEMV_TILING: a vec4 of codes a load; TUNED: 2 rows an invocation, vec2s), and 4 rows (words). */
const TILINGS: GemvTiling[] = [PORTABLE_GEMV_TILING, TUNED_GEMV_TILING, { features: 16, loadBatch: 2, rows: 4 }];

describe.skipIf(!gpu)('the GEMV with NF4 weights against tfjs f32 on the dequantized values', () => {
  // K 64: 2 vec4s a row, most lanes idle; 1024: one vec4 a lane at 8 features; 4096 (Qwen3-8B's hidden): several,
  // loads in flight; N not a multiple of the features a workgroup (the last one's extra rows store nothing).
  // Every split up to 8 rows; above, the portable one only: lavapipe unrolls the loop over a bucket's rows, and
  // the tuned split's 4 loads in flight at 32 rows took it over 2 minutes to compile (its speed matters on GPUs
  // with tensor cores only, where gemvTiling picks it).
  it.each(
    [
      [1, 64, 45],
      [3, 1024, 130],
      [8, 4096, 24],
      [17, 256, 200],
      [32, 2048, 48],
    ].flatMap(([m, k, n]) => (m! <= 8 ? TILINGS : TILINGS.slice(0, 1)).map((t) => [m!, k!, n!, t] as const)),
  )('%d rows, in %d, out %d, tiling %o: within the derived bound, with and without LoRA', async (m, k, n, t) => {
    const x = uniform([m, k], 1, -3, 3);
    const h = randomNf4(n, k, 2, 64, 0.05);
    const w = dequantized(h);
    const lora: GemvLora = { a: uniform([16, k], 3, -0.5, 0.5), b: uniform([n, 16], 4), scaling: 32 / 12 };
    for (const l of [undefined, lora]) {
      expect(gemvTakes(x, h.matrix, l)).toBe(true);
      const got = f16Gemv(x, h.matrix, l, t);
      expect(got.shape).toEqual([m, n]);
      const [ref, lim] = [gemvReference(x, w, l), bound(x, w, l)];
      expect(await worstRatio(got, ref, lim)).toBeLessThanOrEqual(1);
      tf.dispose([got, ref, lim]);
    }
    tf.dispose([x, w, lora.a, lora.b]);
    h.matrix.dispose();
  });

  it.each([32, 128, 256])('block size %d: one scale a block, read where the vec4 lies', async (bs) => {
    const [m, k, n] = [4, 512, 40];
    const x = uniform([m, k], 5, -3, 3);
    const h = randomNf4(n, k, 6, bs, 0.05);
    const w = dequantized(h);
    const got = f16Gemv(x, h.matrix);
    const [ref, lim] = [gemvReference(x, w), bound(x, w)];
    expect(await worstRatio(got, ref, lim)).toBeLessThanOrEqual(1);
    tf.dispose([x, w, got, ref, lim]);
    h.matrix.dispose();
  });

  it('is tighter than a product that rounds x to f16 (the NF4 tile GEMM’s input): the bound fails for one', async () => {
    const x = uniform([4, 64], 7, -3, 3);
    const h = randomNf4(64, 64, 8, 64, 0.05);
    const w = dequantized(h);
    const xh = F16Matrix.fromTensor(x);
    const x16 = xh.toTensor();
    const rounded = gemvReference(x16, w);
    const [ref, lim] = [gemvReference(x, w), bound(x, w)];
    expect(await worstRatio(rounded, ref, lim)).toBeGreaterThan(1);
    tf.dispose([x, w, x16, rounded, ref, lim]);
    xh.dispose();
    h.matrix.dispose();
  });

  it('a wrong code order or scale lands outside the bound (the test can fail)', async () => {
    // The same codes read low nibble first: what a kernel with the nibbles swapped would compute.
    const [m, k, n] = [2, 256, 16];
    const x = uniform([m, k], 9, -3, 3);
    const h = randomNf4(n, k, 10, 64, 0.05);
    const swapped = hostNf4(
      Uint8Array.from(h.codes, (_, e) => h.codes[e ^ 1]!),
      h.absmax,
      n,
      k,
    );
    const wrong = dequantized(swapped);
    const got = f16Gemv(x, h.matrix);
    const [ref, lim] = [gemvReference(x, wrong), bound(x, wrong)];
    expect(await worstRatio(got, ref, lim)).toBeGreaterThan(1);
    tf.dispose([x, wrong, got, ref, lim]);
    h.matrix.dispose();
    swapped.matrix.dispose();
  });

  it.each(TILINGS)(
    'a row’s result does not depend on the batch (tiling %o): each row equals its one-row product bit for bit',
    async (t) => {
      const [m, k, n] = [7, 1024, 70];
      const x = uniform([m, k], 11, -3, 3);
      const h = randomNf4(n, k, 12, 64, 0.05);
      const lora: GemvLora = { a: uniform([8, k], 13), b: uniform([n, 8], 14), scaling: 2 };
      const all = await f16Gemv(x, h.matrix, lora, t).data();
      for (const i of [0, 3, 6]) {
        const row = tf.slice(x, [i, 0], [1, k]);
        const one = await f16Gemv(row, h.matrix, lora, t).data();
        expect(Array.from(one)).toEqual(Array.from(all.subarray(i * n, (i + 1) * n)));
        row.dispose();
      }
      tf.dispose([x, lora.a, lora.b]);
      h.matrix.dispose();
    },
  );

  it.each(TILINGS)(
    'tiling %o: given the low-rank values bit for bit computing them; gated = swiGlu of the two products bit for bit',
    async (t) => {
      const [m, k, n] = [6, 1024, 96];
      const x = uniform([m, k], 20, -3, 3);
      const [g, u] = [randomNf4(n, k, 21, 64, 0.05), randomNf4(n, k, 22, 64, 0.05)];
      const lg: GemvLora = { a: uniform([16, k], 23, -0.5, 0.5), b: uniform([n, 16], 24), scaling: 2 };
      const lu: GemvLora = { a: uniform([16, k], 25, -0.5, 0.5), b: uniform([n, 16], 26), scaling: 2 };
      const lows = lowRankDown(x, [lg.a, lu.a]);
      const [gg, ug] = [
        { ...lg, low: lows[0]! },
        { ...lu, low: lows[1]! },
      ];
      const pairs = [
        [f16Gemv(x, g.matrix, gg, t), f16Gemv(x, g.matrix, lg, t)],
        [f16GatedGemv(x, g.matrix, u.matrix, gg, ug, t), f16GatedGemv(x, g.matrix, u.matrix, lg, lu, t)],
        [
          f16GatedGemv(x, g.matrix, u.matrix, lg, lu, t),
          swiGlu(f16Gemv(x, g.matrix, lg, t), f16Gemv(x, u.matrix, lu, t)),
        ],
        [
          f16GatedGemv(x, g.matrix, u.matrix, undefined, undefined, t),
          swiGlu(f16Gemv(x, g.matrix, undefined, t), f16Gemv(x, u.matrix, undefined, t)),
        ],
      ];
      for (const [got, want] of pairs) expect(Array.from(await got!.data())).toEqual(Array.from(await want!.data()));
      tf.dispose([x, ...lows, lg.a, lg.b, lu.a, lu.b, ...pairs.flat()]);
      g.matrix.dispose();
      u.matrix.dispose();
    },
  );

  it('takes only what it reads: K and the block size multiples of 32, weights of one kind and block size', () => {
    const x = uniform([2, 96], 30);
    const [a, b] = [randomNf4(16, 96, 31, 64, 0.05), randomNf4(16, 96, 32, 32, 0.05)];
    const odd = randomNf4(16, 40, 33, 64, 0.05);
    const wf16 = F16Matrix.fromTensor(uniform([16, 96], 34));
    expect(gemvTakes(x, a.matrix)).toBe(true);
    expect(gemvTakes(uniform([2, 40], 35), odd.matrix)).toBe(false);
    expect(gemvTakes(x, new Nf4Matrix(a.matrix.codes, a.matrix.absmax, 16, 96, 48))).toBe(false);
    expect(() => nf4GemvWgsl({ n: 16, k: 40, rows: 1, blocksize: 64 })).toThrow(/multiples of 32/);
    expect(gatedGemvTakes(x, a.matrix, a.matrix)).toBe(true);
    expect(gatedGemvTakes(x, a.matrix, b.matrix)).toBe(false); // block sizes differ
    expect(gatedGemvTakes(x, a.matrix, wf16)).toBe(false); // kinds differ
    expect(gatedGemvTakes(x, wf16, a.matrix)).toBe(false);
    x.dispose();
    for (const h of [a, b, odd]) h.matrix.dispose();
    wf16.dispose();
  });

  it('linear and swiGluLinear take it at inference (one dispatch with LoRA); under a tape the NF4 GEMM gives dx', async () => {
    const [k, n] = [64, 24];
    const h = randomNf4(n, k, 40, 64, 0.05);
    const w = dequantized(h);
    const lora: LoraPair = { a: uniform([4, k], 41), b: uniform([n, 4], 42), scaling: 2, dropout: 0 };
    const x = uniform([3, k], 43);
    expect(ownDispatchesOf(() => linear(x, { weight: h.matrix }, lora))).toBe(1);
    expect(ownDispatchesOf(() => linear(x, { weight: h.matrix }))).toBe(1);
    const got = linear(x, { weight: h.matrix }, lora);
    const [ref, lim] = [gemvReference(x, w, lora), bound(x, w, lora)];
    expect(await worstRatio(got, ref, lim)).toBeLessThanOrEqual(1);
    // Under a tape: the GEMV's forward and the tile GEMM's dx (W·dy), right within the f16 GEMM's error.
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(linear(xi, { weight: h.matrix })))(x);
    const want = tf.sum(w, 0);
    const diff = await tf.max(tf.abs(tf.sub(tf.reshape(tf.slice(dx, [0, 0], [1, k]), [k]), want))).data();
    expect(diff[0]).toBeLessThan(1e-2 * (await tf.max(tf.abs(want)).data())[0]!);
    const up = randomNf4(n, k, 44, 64, 0.05);
    const pair = { gate: lora, up: { ...lora, a: uniform([4, k], 45) } };
    expect(ownDispatchesOf(() => swiGluLinear(x, { weight: h.matrix }, { weight: up.matrix }, pair))).toBe(1);
    tf.dispose([w, x, got, ref, lim, dx, want, lora.a, lora.b, pair.up.a]);
    h.matrix.dispose();
    up.matrix.dispose();
  });
});
