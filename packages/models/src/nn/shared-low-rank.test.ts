/**
 * The LoRA branches' x·Aᵀ computed once for layers that read the same x (shared-low-rank.ts), on webgpu (lavapipe
 * in CI): one dispatch for the group from SHARED_LOW_RANK_MIN_ROWS rows, the products bit for bit what they are
 * when each GEMV computes the values itself, and the pairs untouched where it does not apply.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { F16Matrix } from '../gpu/f16-matrix.js';
import { ownDispatchCount } from '../gpu/webgpu-internals.js';
import { ownDispatchesOf, webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { uniformMatrix } from '../testing/uniform-matrix.js';
import { linear, type LoraPair } from './linear.js';
import { SHARED_LOW_RANK_LARGE_BYTES, SHARED_LOW_RANK_MIN_ROWS, withSharedLowRank } from './shared-low-rank.js';
import { gemvTiling } from '../gpu/f16-gemv.js';
import { randomNf4 } from '../gpu/nf4-host.js';
import { swiGlu } from './swiglu.js';
import { swiGluLinear } from './swiglu-linear.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const [K, N] = [64, 48];
const pair = (seed: number): LoraPair => ({
  a: uniformMatrix([8, K], seed, -0.5, 0.5),
  b: uniformMatrix([N, 8], seed + 1),
  scaling: 2,
  dropout: 0,
});

describe.skipIf(!gpu)('withSharedLowRank', () => {
  it('computes a group’s x·Aᵀ in one dispatch from 4 rows; each linear gives the same bits as computing them itself', async () => {
    const ws = [1, 2, 3].map((s) => ({ weight: F16Matrix.fromTensor(uniformMatrix([N, K], s)) }));
    const loras = [10, 12, 14].map(pair);
    const x = uniformMatrix([SHARED_LOW_RANK_MIN_ROWS + 1, K], 20, -2, 2);
    const before = ownDispatchCount();
    const shared = withSharedLowRank(x, ws, loras);
    expect(ownDispatchCount() - before).toBe(1);
    for (const [i, w] of ws.entries()) {
      expect(shared[i]!.low?.shape).toEqual([x.shape[0], 8]);
      expect(ownDispatchesOf(() => linear(x, w, shared[i]))).toBe(1);
      const [got, want] = [linear(x, w, shared[i]), linear(x, w, loras[i])];
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      tf.dispose([got, want]);
    }
    tf.dispose(shared.map((l) => l!.low!));

    // Where it does not apply, the pairs come back as they are and nothing runs.
    const few = uniformMatrix([SHARED_LOW_RANK_MIN_ROWS - 1, K], 21);
    const f32w = uniformMatrix([N, K], 22);
    const f32 = [{ weight: f32w }, ...ws.slice(1)];
    const cases: [string, () => unknown[]][] = [
      ['fewer rows', () => withSharedLowRank(few, ws, loras)],
      ['an f32 weight', () => withSharedLowRank(x, f32, loras)],
      ['a layer without a pair', () => withSharedLowRank(x, ws, [loras[0], undefined, loras[2]])],
      ['one layer alone (o, down)', () => withSharedLowRank(x, ws.slice(0, 1), loras.slice(0, 1))],
      ['a dropout seed', () => withSharedLowRank(x, ws, loras, [undefined, 7, undefined])],
    ];
    for (const [why, run] of cases) {
      const mark = ownDispatchCount();
      const got = run() as (LoraPair | undefined)[];
      expect(ownDispatchCount() - mark, why).toBe(0);
      expect(
        got.every((l) => l === undefined || !('low' in l)),
        why,
      ).toBe(true);
    }
    // Under a tape (training) too.
    tf.grad((xi: tf.Tensor) => {
      const got = withSharedLowRank(xi as tf.Tensor2D, ws, loras);
      expect(got.every((l) => !('low' in l!))).toBe(true);
      return tf.sum(xi);
    })(x).dispose();
    tf.dispose([x, few, f32w, ...loras.flatMap((l) => [l.a, l.b])]);
    for (const w of ws) w.weight.dispose();
  });

  it('swiGluLinear: two dispatches from 4 rows (both x·Aᵀ, then the gated GEMV), one below; the bits of linear, linear, swiGlu', async () => {
    const [gate, up] = [30, 31].map((s) => ({ weight: F16Matrix.fromTensor(uniformMatrix([N, K], s)) }));
    const lora = { gate: pair(32), up: pair(34) };
    for (const m of [SHARED_LOW_RANK_MIN_ROWS + 2, SHARED_LOW_RANK_MIN_ROWS - 2]) {
      const x = uniformMatrix([m, K], 40 + m, -2, 2);
      expect(ownDispatchesOf(() => swiGluLinear(x, gate!, up!, lora))).toBe(m >= SHARED_LOW_RANK_MIN_ROWS ? 2 : 1);
      const got = swiGluLinear(x, gate!, up!, lora);
      const want = swiGlu(linear(x, gate!, lora.gate), linear(x, up!, lora.up));
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      tf.dispose([x, got, want]);
    }
    tf.dispose([lora.gate.a, lora.gate.b, lora.up.a, lora.up.b]);
    gate!.weight.dispose();
    up!.weight.dispose();
  });

  it('shares a large layer’s x·Aᵀ alone and at batch 1 (Qwen3-8B’s o and down), bit for bit; a small one keeps its own', async () => {
    // 4096 × 4096 with rank 16: 4096/features workgroups each reading A's 256 KiB, at least SHARED_LOW_RANK_LARGE_BYTES.
    const [k, n] = [4096, 4096];
    const h = randomNf4(n, k, 50, 64, 0.05);
    const w = { weight: h.matrix };
    const lora: LoraPair = {
      a: uniformMatrix([16, k], 51, -0.5, 0.5),
      b: uniformMatrix([n, 16], 52),
      scaling: 2,
      dropout: 0,
    };
    expect(Math.ceil(n / gemvTiling().features) * k * 16 * 4).toBeGreaterThanOrEqual(SHARED_LOW_RANK_LARGE_BYTES);
    const x = uniformMatrix([1, k], 53, -2, 2);
    const before = ownDispatchCount();
    const [shared] = withSharedLowRank(x, [w], [lora]);
    expect(ownDispatchCount() - before).toBe(1);
    expect(shared!.low?.shape).toEqual([1, 16]);
    const [got, want] = [linear(x, w, shared), linear(x, w, lora)];
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
    // The 48 × 64 layers above, alone at batch 1: not shared.
    const small = { weight: F16Matrix.fromTensor(uniformMatrix([N, K], 54)) };
    const mark = ownDispatchCount();
    expect(withSharedLowRank(uniformMatrix([1, K], 55), [small], [pair(56)])[0]!.low).toBeUndefined();
    expect(ownDispatchCount()).toBe(mark);
    tf.dispose([got, want, x, lora.a, lora.b, shared!.low!]);
    h.matrix.dispose();
    small.weight.dispose();
  });
});
