import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { linear, type LoraPair } from '../nn/linear.js';
import { F16Matrix } from './f16-matrix.js';
import {
  f16GatedGemv,
  f16Gemv,
  gatedGemvTakes,
  gemvTakes,
  gemvTiling,
  setGemvTiling,
  type GemvLora,
} from './f16-gemv.js';
import { lowRankDown, lowRankDownTakes } from './low-rank-down.js';
import { ownDispatchCount, webgpuBackend } from './webgpu-internals.js';
import { swiGlu } from '../nn/swiglu.js';
import { swiGluLinear } from '../nn/swiglu-linear.js';
import {
  GEMV_MAX_ROWS,
  PORTABLE_GEMV_TILING,
  TUNED_GEMV_TILING,
  gemvRowBucket,
  type GemvTiling,
} from './f16-gemv-wgsl.js';
import { uniformMatrix } from '../testing/uniform-matrix.js';
import { gemvBound, gemvReference, matMulT, worstRatio } from './gemv-tolerance.js';
import { ownDispatchesOf, watchOurCompiles, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/** The f16 kernel's chain (gemv-tolerance.ts): K/16 tiles of 8 fmas, then at most 32 partial sums. */
const bound = (x: tf.Tensor2D, w16: tf.Tensor2D, lora?: GemvLora) => gemvBound(x, w16, x.shape[1] + 32, 0, lora);
const reference = gemvReference;
const uniform = uniformMatrix;
const ratio = worstRatio;

/**
 * Every way the work may split: the two defaults (tensor-core GPUs: half a tile row a workgroup, 4 loads in
 * flight, 2 rows an invocation; elsewhere a whole tile row, one load), several loads, several rows an invocation.
 * The tuned split takes lavapipe 30–60 s to compile a pipeline: it runs on the shapes below that need it.
 */
const TILINGS: GemvTiling[] = [
  PORTABLE_GEMV_TILING,
  TUNED_GEMV_TILING,
  { features: 16, loadBatch: 8 },
  { features: 8, loadBatch: 4 },
  { features: 16, loadBatch: 4, rows: 4 },
  { features: 8, loadBatch: 1 },
];

describe.skipIf(!gpu)('f16Gemv (a decoding step’s linear layers: x f32 · f16 Wᵀ, LoRA fused) against tfjs f32', () => {
  // K 70: scalar loads, masked past K; 1000: vec4 loads, the last tile half padding; 1024 and 2048 the model's.
  // Every shape with the portable tiling; the others (the tuned one, and those benchmarks compare) on the two
  // shapes that reach their edges: masked scalar loads past K, and a K of 2048 over 32 rows.
  it.each(
    [
      [1, 70, 45],
      [3, 1000, 130],
      [8, 1024, 16],
      [17, 256, 200],
      [32, 2048, 48],
    ].flatMap(([m, k, n]) =>
      (k === 70 || k === 2048 ? TILINGS : TILINGS.slice(0, 1)).map((t) => [m!, k!, n!, t] as const),
    ),
  )('%d rows, in %d, out %d, tiling %o: within the derived f32 bound, with and without LoRA', async (m, k, n, t) => {
    const x = uniform([m, k], 1, -3, 3);
    const w = uniform([n, k], 2);
    const wh = F16Matrix.fromTensor(w);
    const w16 = wh.toTensor();
    const lora: GemvLora = { a: uniform([16, k], 3, -0.5, 0.5), b: uniform([n, 16], 4), scaling: 32 / 12 };
    for (const l of [undefined, lora]) {
      expect(gemvTakes(x, wh, l)).toBe(true);
      const got = f16Gemv(x, wh, l, t);
      expect(got.shape).toEqual([m, n]);
      const ref = reference(x, w16, l);
      const lim = bound(x, w16, l);
      expect(await ratio(got, ref, lim)).toBeLessThanOrEqual(1);
      tf.dispose([got, ref, lim]);
    }
    tf.dispose([x, w, w16, lora.a, lora.b]);
    wh.dispose();
  });

  it('takes the tuned split where the device has subgroup matrices, else the portable one; setGemvTiling overrides both', async () => {
    const sm = webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix');
    expect(gemvTiling()).toEqual(sm ? TUNED_GEMV_TILING : PORTABLE_GEMV_TILING);
    const x = uniform([1, 70], 1, -3, 3);
    const wh = F16Matrix.fromTensor(uniform([45, 70], 2));
    try {
      setGemvTiling(TUNED_GEMV_TILING);
      expect(gemvTiling()).toBe(TUNED_GEMV_TILING);
      const [got, want] = [f16Gemv(x, wh), f16Gemv(x, wh, undefined, TUNED_GEMV_TILING)];
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      tf.dispose([got, want]);
    } finally {
      setGemvTiling(undefined);
    }
    expect(gemvTiling()).toEqual(sm ? TUNED_GEMV_TILING : PORTABLE_GEMV_TILING);
    x.dispose();
    wh.dispose();
  });

  it('is tighter than a product that rounds x to f16: the bound above fails for one', async () => {
    // Guards the test's power: x rounded to f16 (what the tile GEMM does) lands outside the f32 bound. At a
    // short K: the rounding errors grow like √K and the bound like K, so at the model's K only the worst case
    // would show it.
    const x = uniform([4, 32], 5, -3, 3);
    const wh = F16Matrix.fromTensor(uniform([64, 32], 6));
    const w16 = wh.toTensor();
    const xh = F16Matrix.fromTensor(x);
    const x16 = xh.toTensor();
    const rounded = matMulT(x16, w16);
    const [ref, lim] = [reference(x, w16), bound(x, w16)];
    expect(await ratio(rounded, ref, lim)).toBeGreaterThan(1);
    tf.dispose([x, w16, x16, rounded, ref, lim]);
    wh.dispose();
    xh.dispose();
  });

  it.each([TILINGS[0]!, TILINGS[1]!, TILINGS[3]!, TILINGS[4]!])(
    'a row’s result does not depend on the batch (tiling %o): each row equals its one-row product bit for bit',
    async (t) => {
      const [m, k, n] = [9, 1024, 70];
      const x = uniform([m, k], 7, -3, 3);
      const wh = F16Matrix.fromTensor(uniform([n, k], 8));
      const lora: GemvLora = { a: uniform([8, k], 9), b: uniform([n, 8], 10), scaling: 2 };
      const all = await f16Gemv(x, wh, lora, t).data();
      for (const i of [0, 4, 8]) {
        const row = tf.slice(x, [i, 0], [1, k]);
        const one = await f16Gemv(row, wh, lora, t).data();
        expect(Array.from(one)).toEqual(Array.from(all.subarray(i * n, (i + 1) * n)));
        row.dispose();
      }
      tf.dispose([x, lora.a, lora.b]);
      wh.dispose();
    },
  );

  it('rows within one bucket share a pipeline; a new bucket compiles one', async () => {
    const wh = F16Matrix.fromTensor(uniform([40, 64], 11));
    const compiles = watchOurCompiles();
    const counts: number[] = [];
    try {
      for (const m of [5, 6, 8, 2]) {
        const x = uniform([m, 64], m);
        await f16Gemv(x, wh).data();
        counts.push(compiles.count());
        x.dispose();
      }
    } finally {
      compiles.stop();
      wh.dispose();
    }
    expect(gemvRowBucket(5)).toBe(gemvRowBucket(8));
    expect(counts).toEqual([1, 1, 1, 2]);
  });

  it.each([
    [8, 1024, 96, TILINGS[0]!],
    [8, 1024, 96, TILINGS[1]!],
    [5, 70, 45, TILINGS[0]!],
    [1, 1000, 130, TILINGS[0]!],
  ] as const)(
    '%d rows, in %d, out %d, tiling %o: given the low-rank values (one dispatch for three products), bit for bit computing them',
    async (m, k, n, t) => {
      const x = uniform([m, k], 30, -3, 3);
      const ws = [31, 32, 33].map((seed) => F16Matrix.fromTensor(uniform([n, k], seed)));
      const loras: GemvLora[] = [34, 36, 38].map((seed) => ({
        a: uniform([16, k], seed, -0.5, 0.5),
        b: uniform([n, 16], seed + 1),
        scaling: 2,
      }));
      expect(
        lowRankDownTakes(
          x,
          loras.map((l) => l.a),
        ),
      ).toBe(true);
      const before = ownDispatchCount();
      const lows = lowRankDown(
        x,
        loras.map((l) => l.a),
      );
      expect(ownDispatchCount() - before).toBe(1);
      for (const [i, w] of ws.entries()) {
        const given = { ...loras[i]!, low: lows[i]! };
        expect(gemvTakes(x, w, given)).toBe(true);
        const [got, want] = [f16Gemv(x, w, given, t), f16Gemv(x, w, loras[i], t)];
        expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
        tf.dispose([got, want]);
      }
      // The gated kernel given both products' values.
      const [lg, lu] = [
        { ...loras[0]!, low: lows[0]! },
        { ...loras[1]!, low: lows[1]! },
      ];
      expect(gatedGemvTakes(x, ws[0]!, ws[1]!, lg, lu)).toBe(true);
      expect(gatedGemvTakes(x, ws[0]!, ws[1]!, lg, loras[1])).toBe(false); // both given or neither
      const [got, want] = [
        f16GatedGemv(x, ws[0]!, ws[1]!, lg, lu, t),
        f16GatedGemv(x, ws[0]!, ws[1]!, loras[0], loras[1], t),
      ];
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      tf.dispose([got, want, x, ...lows, ...loras.flatMap((l) => [l.a, l.b])]);
      for (const w of ws) w.dispose();
    },
  );

  it('linear takes it for an f16 weight’s forward, fusing LoRA for inference only', () => {
    const w = uniform([24, 40], 12);
    const wh = F16Matrix.fromTensor(w);
    const lora: LoraPair = { a: uniform([4, 40], 13), b: uniform([24, 4], 14), scaling: 2, dropout: 0 };
    const x = uniform([3, 40], 15);
    expect(ownDispatchesOf(() => linear(x, { weight: wh }, lora))).toBe(1); // the product with the branch in it
    expect(ownDispatchesOf(() => linear(x, { weight: wh }))).toBe(1);
    // Under a tape: the GEMV forward without the branch, then the tile GEMM's pack and product for dx; the branch is
    // added by lowRankAdd, x·Aᵀ and dy·B are lowRankProject's and the weight gradients lowRankGrad's (two dispatches
    // each): 3 + 1 + 2 + 4.
    expect(ownDispatchesOf(() => tf.grad((xi: tf.Tensor) => tf.sum(linear(xi, { weight: wh }, lora)))(x))).toBe(10);
    const big = uniform([GEMV_MAX_ROWS + 1, 40], 16);
    expect(gemvTakes(big, wh)).toBe(false);
    expect(gemvTakes(uniform([2, 41], 17), wh)).toBe(false);
    tf.dispose([w, lora.a, lora.b, x, big]);
    wh.dispose();
  });

  it.each(
    [
      [1, 1024, 3072],
      [8, 1000, 70],
      [5, 70, 45],
    ].flatMap(([m, k, n]) => [TILINGS[0]!, TILINGS[1]!, TILINGS[4]!].map((t) => [m!, k!, n!, t] as const)),
  )(
    'gated, %d rows, in %d, out %d, tiling %o: silu(gate)·up bit for bit the two GEMVs and swiGlu, with and without LoRA',
    async (m, k, n, t) => {
      const x = uniform([m, k], 20, -3, 3);
      const [g, u] = [F16Matrix.fromTensor(uniform([n, k], 21)), F16Matrix.fromTensor(uniform([n, k], 22))];
      const lg: GemvLora = { a: uniform([16, k], 23, -0.5, 0.5), b: uniform([n, 16], 24), scaling: 2 };
      const lu: GemvLora = { a: uniform([16, k], 25, -0.5, 0.5), b: uniform([n, 16], 26), scaling: 2 };
      for (const [a, b] of [
        [undefined, undefined],
        [lg, lu],
      ] as const) {
        expect(gatedGemvTakes(x, g, u, a, b)).toBe(true);
        const got = f16GatedGemv(x, g, u, a, b, t);
        const want = swiGlu(f16Gemv(x, g, a, t), f16Gemv(x, u, b, t));
        expect(got.shape).toEqual([m, n]);
        const [gv, wv] = await Promise.all([got.data(), want.data()]);
        expect(Array.from(gv)).toEqual(Array.from(wv));
        tf.dispose([got, want]);
      }
      tf.dispose([x, lg.a, lg.b, lu.a, lu.b]);
      g.dispose();
      u.dispose();
    },
  );

  it('swiGluLinear takes the gated kernel at inference (one dispatch) and linear, linear, swiGlu under a tape', async () => {
    const x = uniform([3, 40], 30);
    const gate = { weight: F16Matrix.fromTensor(uniform([24, 40], 31)) };
    const up = { weight: F16Matrix.fromTensor(uniform([24, 40], 32)) };
    const pair = (seed: number): LoraPair => ({
      a: uniform([4, 40], seed),
      b: uniform([24, 4], seed + 1),
      scaling: 2,
      dropout: 0,
    });
    const lora = { gate: pair(33), up: pair(35) };
    expect(ownDispatchesOf(() => swiGluLinear(x, gate, up, lora))).toBe(1);
    // Ranks or scalings that differ, or one pair alone: not the gated kernel (the two GEMVs and the SwiGLU kernel).
    expect(gatedGemvTakes(x, gate.weight, up.weight, lora.gate, { ...lora.up, scaling: 3 })).toBe(false);
    expect(gatedGemvTakes(x, gate.weight, up.weight, lora.gate)).toBe(false);
    expect(ownDispatchesOf(() => swiGluLinear(x, gate, up, { gate: lora.gate }))).toBe(3);
    const viaKernel = await swiGluLinear(x, gate, up, lora).data();
    const composed = await swiGlu(linear(x, gate, lora.gate), linear(x, up, lora.up)).data();
    expect(Array.from(viaKernel)).toEqual(Array.from(composed));
    // Under a tape the composed path runs (its gradient flows to x).
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(swiGluLinear(xi, gate, up, lora)))(x);
    expect(dx.shape).toEqual([3, 40]);
    tf.dispose([x, lora.gate.a, lora.gate.b, lora.up.a, lora.up.b, dx]);
    gate.weight.dispose();
    up.weight.dispose();
  });
});
