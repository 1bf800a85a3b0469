import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { headsFirst } from '../nn/heads.js';
import { rmsNorm } from '../nn/rms-norm.js';
import { applyRope, ropeCosSin } from '../nn/rotary.js';
import { uniformMatrix } from '../testing/uniform-matrix.js';
import { qkNormRopeFused, qkNormRopeShape } from './qk-norm-rope-wgsl.js';
import { qkNormRope } from '../nn/qk-norm-rope.js';
import { ownDispatchesOf, watchOurCompiles, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const EPS = 1e-6;

/** What the layer did before: each head's RMSNorm, heads first, RoPE (the kernels rms-norm-wgsl.ts and rope-wgsl.ts). */
function reference(
  x: tf.Tensor2D,
  w: tf.Tensor1D,
  cos: tf.Tensor4D,
  sin: tf.Tensor4D,
  b: number,
  t: number,
  h: number,
) {
  const d = w.shape[0];
  return applyRope(headsFirst(rmsNorm(tf.reshape(x, [b, t, h, d]), w, EPS) as tf.Tensor4D), cos, sin);
}

/**
 * The fused q/k preparation (gpu/qk-norm-rope-wgsl.ts) does the norm kernel's and the rope kernel's operations in
 * their order, so it must equal them bit for bit: a decoding step's logits are then the same whichever ran.
 */
describe.skipIf(!gpu)('qkNormRopeFused: q and k normed per head, heads first, rotated, in one dispatch', () => {
  it.each([
    // [b, t, hq, hk, d, cos shared]: a decoding step of Qwen3-0.6B's heads; a prefill chunk with cos per
    // sequence (GQA 2:1); an odd head size (70: strided loops with a tail) and cos shared by the batch.
    [1, 1, 16, 8, 128, false],
    [3, 5, 4, 2, 64, false],
    [2, 7, 2, 1, 70, true],
  ] as const)(
    'b %i, t %i, %i/%i heads of %i (cos shared: %s): bit for bit the two kernels',
    async (b, t, hq, hk, d, shared) => {
      const q = uniformMatrix([b * t, hq * d], 1, -4, 4);
      const k = uniformMatrix([b * t, hk * d], 2, -4, 4);
      const wq = tf.reshape(uniformMatrix([1, d], 3, 0.5, 1.5), [d]) as tf.Tensor1D;
      const wk = tf.reshape(uniformMatrix([1, d], 4, 0.5, 1.5), [d]) as tf.Tensor1D;
      const pos = tf.tensor2d(
        Array.from({ length: (shared ? 1 : b) * t }, (_, i) => 37 * (i % t) + 4000 * Math.floor(i / t)),
        [shared ? 1 : b, t],
        'int32',
      );
      const { cos, sin } = ropeCosSin(pos, d, 1_000_000);
      const s = qkNormRopeShape(q, k, wq, wk, cos, sin, { b, t, hq, hk, d })!;
      expect(s).toBeDefined();
      const got = qkNormRopeFused(s, q, k, wq, wk, cos, sin, EPS);
      const want = { q: reference(q, wq, cos, sin, b, t, hq), k: reference(k, wk, cos, sin, b, t, hk) };
      expect(got.q.shape).toEqual([b, hq, t, d]);
      expect(got.k.shape).toEqual([b, hk, t, d]);
      for (const key of ['q', 'k'] as const) {
        const [g, r] = await Promise.all([got[key].data(), want[key].data()]);
        expect(Array.from(g)).toEqual(Array.from(r));
      }
      // Not trivially equal: the outputs are not the inputs.
      expect(Array.from(await got.q.data()).slice(0, 8)).not.toEqual(Array.from(await q.data()).slice(0, 8));
      expect(
        ownDispatchesOf(() => {
          const r = qkNormRopeFused(s, q, k, wq, wk, cos, sin, EPS);
          return [r.q, r.k];
        }),
      ).toBe(1);
      tf.dispose([q, k, wq, wk, pos, cos, sin, got.q, got.k, want.q, want.k]);
    },
  );

  it('a longer prompt (another T and B) compiles nothing new; shapes it cannot take are refused', async () => {
    const run = (b: number, t: number) =>
      tf.tidy(() => {
        const d = 64;
        const q = uniformMatrix([b * t, 2 * d], 5, -1, 1);
        const k = uniformMatrix([b * t, d], 6, -1, 1);
        const w = tf.ones([d]);
        const { cos, sin } = ropeCosSin(tf.zeros([1, t], 'int32') as tf.Tensor2D, d, 10000);
        const s = qkNormRopeShape(q, k, w, w, cos, sin, { b, t, hq: 2, hk: 1, d })!;
        return qkNormRopeFused(s, q, k, w, w, cos, sin, EPS).q;
      });
    await run(1, 3).data();
    const compiles = watchOurCompiles();
    try {
      for (const [b, t] of [
        [1, 4],
        [2, 9],
      ] as const)
        await run(b, t).data();
      expect(compiles.count()).toBe(0);
    } finally {
      compiles.stop();
    }
    const q = uniformMatrix([2, 64], 7);
    const cos = tf.zeros([1, 1, 2, 64]);
    const w = tf.ones([64]);
    expect(qkNormRopeShape(q, q, w, w, cos, cos, { b: 1, t: 2, hq: 1, hk: 1, d: 64 })).toBeDefined();
    expect(qkNormRopeShape(q, q, w, w, cos, cos, { b: 1, t: 2, hq: 2, hk: 1, d: 32 })).toBeUndefined(); // w is not [d]
    expect(
      qkNormRopeShape(q, q, w, w, tf.zeros([1, 1, 3, 64]), cos, { b: 1, t: 2, hq: 1, hk: 1, d: 64 }),
    ).toBeUndefined();
    tf.dispose([q, cos, w]);
  });

  it('qkNormRope (what the decoder layer calls) takes the kernel at inference and the composed ops under a tape', async () => {
    const [b, t, hq, hk, d] = [2, 3, 2, 1, 64];
    const q = uniformMatrix([b * t, hq * d], 8, -2, 2);
    const k = uniformMatrix([b * t, hk * d], 9, -2, 2);
    const norms = {
      q: tf.reshape(uniformMatrix([1, d], 10, 0.5, 1.5), [d]) as tf.Tensor1D,
      k: tf.ones([d]) as tf.Tensor1D,
    };
    const pos = tf.tensor2d([0, 1, 2, 5, 6, 7], [b, t], 'int32');
    const rope = ropeCosSin(pos, d, 10000);
    const heads = { b, t, hq, hk, d };
    expect(
      ownDispatchesOf(() => {
        const r = qkNormRope(q, k, norms, rope, heads, EPS);
        return [r.q, r.k];
      }),
    ).toBe(1);
    // Under a tape: the composed ops (their gradients), the same values.
    const loss = (x: tf.Tensor) =>
      tf.sum(
        tf.mul(qkNormRope(x, k, norms, rope, heads, EPS).q, tf.reshape(tf.range(0, b * hq * t * d), [b, hq, t, d])),
      );
    const ref = (x: tf.Tensor) =>
      tf.sum(
        tf.mul(
          reference(x as tf.Tensor2D, norms.q, rope.cos, rope.sin, b, t, hq),
          tf.reshape(tf.range(0, b * hq * t * d), [b, hq, t, d]),
        ),
      );
    const [g, r] = [tf.grad(loss)(q), tf.grad(ref)(q)];
    expect(Array.from(await g.data())).toEqual(Array.from(await r.data()));
    tf.dispose([q, k, norms.q, norms.k, pos, rope.cos, rope.sin, g, r]);
  });
});
