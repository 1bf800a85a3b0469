import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { causalAttentionBias, paddingAttentionBias } from './attention-bias.js';
import { attention, attentionRowsPerChunk } from './attention.js';

// tfjs-core alone has no backend and no gradients: initBackend registers both.
beforeAll(async () => {
  await initBackend('cpu');
});

/** The textbook attention autodiff differentiates: repeat K/V per query head, softmax, matmul. */
function plainAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias?: tf.Tensor4D): tf.Tensor4D {
  const rep = q.shape[1] / k.shape[1];
  // HF repeat_kv: query head h reads kv head floor(h / rep).
  const heads = tf.tensor1d(
    Array.from({ length: q.shape[1] }, (_, h) => Math.floor(h / rep)),
    'int32',
  );
  const kr = tf.gather(k, heads, 1);
  const vr = tf.gather(v, heads, 1);
  const sc = tf.mul(tf.matMul(q, kr, false, true), 1 / Math.sqrt(q.shape[3]));
  const p = tf.softmax(bias ? tf.add(sc, bias) : sc);
  return tf.matMul(p, vr) as tf.Tensor4D;
}

/** tf.grads of a function of three rank-4 tensors. */
const grads4 = (f: (a: tf.Tensor4D, c: tf.Tensor4D, e: tf.Tensor4D) => tf.Tensor4D) =>
  tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => f(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D));

const maxRel = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]!));

function setup(b: number, nh: number, nkv: number, t: number, d: number, pads: number[], causal = true) {
  const q = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 1) as tf.Tensor4D;
  const k = tf.randomNormal([b, nkv, t, d], 0, 1, 'float32', 2) as tf.Tensor4D;
  const v = tf.randomNormal([b, nkv, t, d], 0, 1, 'float32', 3) as tf.Tensor4D;
  // Left padding: row i has pads[i] masked keys (and fully masked query rows).
  const mask = tf.tensor2d(
    pads.flatMap((p) => Array.from({ length: t }, (_, j) => (j < p ? 0 : 1))),
    [b, t],
  );
  const bias = causal ? causalAttentionBias(mask, t) : paddingAttentionBias(mask);
  mask.dispose();
  const dy = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 4) as tf.Tensor4D;
  return { q, k, v, bias, dy };
}

describe('attention', () => {
  // chunk sizes: one block, uneven chunks, one row at a time.
  for (const [name, b, nh, nkv, t, d, rows] of [
    ['no GQA, one chunk', 2, 2, 2, 9, 8, 100],
    ['4:1 GQA, uneven chunks of 4 rows', 2, 4, 1, 11, 6, 4],
    ['2:1 GQA, one row per chunk', 1, 4, 2, 7, 5, 1],
  ] as const) {
    it(`equals autodiff through plain attention, value and q/k/v gradients: ${name}`, () => {
      const { q, k, v, bias, dy } = setup(b, nh, nkv, t, d, b === 2 ? [0, 3] : [2]);
      const chunkBytes = rows * b * nh * t * 4;
      expect(attentionRowsPerChunk(b, nh, t, chunkBytes)).toBe(rows);
      const fused = grads4((a, c, e) => attention(a, c, e, { bias, chunkBytes }));
      const plain = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
        plainAttention(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D, bias),
      );
      // Without a tape (inference) and under one (the forward a backward follows).
      const outF = attention(q, k, v, { bias, chunkBytes });
      const outP = plainAttention(q, k, v, bias);
      expect(maxRel(outF, outP)).toBeLessThan(1e-6);
      const tapedAttention = (a: tf.Tensor) => attention(a as tf.Tensor4D, k, v, { bias, chunkBytes });
      const taped = tf.valueAndGrads(tapedAttention)([q], dy);
      expect(maxRel(taped.value, outP)).toBeLessThan(1e-6);
      tf.dispose([taped.value, ...taped.grads]);
      const gf = fused([q, k, v], dy);
      const gp = plain([q, k, v], dy);
      ['dq', 'dk', 'dv'].forEach((label, i) => {
        expect(gf[i]!.shape, label).toEqual(gp[i]!.shape);
        expect(maxRel(gf[i]!, gp[i]!), label).toBeLessThan(1e-5);
      });
      tf.dispose([q, k, v, bias, dy, outF, outP, ...gf, ...gp]);
    });
  }

  // Encoders: a padding bias [B, 1, 1, T] shared by every query, or no bias at all.
  for (const [name, padded, rows] of [
    ['padding bias, uneven chunks of 3 rows', true, 3],
    ['no bias, one chunk', false, 100],
  ] as const) {
    it(`bidirectional (${name}) equals plain attention, value and gradients`, () => {
      const { q, k, v, bias, dy } = setup(2, 3, 3, 8, 4, [0, 3], false);
      const used = padded ? bias : undefined;
      const chunkBytes = rows * 2 * 3 * 8 * 4;
      const out = attention(q, k, v, { bias: used, chunkBytes });
      const ref = plainAttention(q, k, v, used);
      expect(maxRel(out, ref)).toBeLessThan(1e-6);
      const gf = grads4((a, c, e) => attention(a, c, e, { bias: used, chunkBytes }))([q, k, v], dy);
      const gp = grads4((a, c, e) => plainAttention(a, c, e, used))([q, k, v], dy);
      gf.forEach((g, i) => expect(maxRel(g, gp[i]!), ['dq', 'dk', 'dv'][i]).toBeLessThan(1e-5));
      tf.dispose([q, k, v, bias, dy, out, ref, ...gf, ...gp]);
    });
  }

  it('keeps no T×T probabilities between forward and backward (plain attention does)', () => {
    // 8 heads: the probabilities (heads × T × T) dwarf the one [T, T] bias both keep.
    const [b, nh, t, d] = [1, 8, 64, 4];
    const { q, k, v, bias, dy } = setup(b, nh, nh, t, d, [0]);
    const chunkBytes = 8 * b * nh * t * 4;
    // Bytes alive right after the forward, while the tape holds what its backward will need.
    const held = (attn: (a: tf.Tensor4D, c: tf.Tensor4D, e: tf.Tensor4D) => tf.Tensor4D): number => {
      let during = 0;
      const g = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => {
        const before = tf.memory().numBytes;
        const out = attn(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D);
        during = tf.memory().numBytes - before;
        return out;
      })([q, k, v], dy);
      tf.dispose(g);
      return during;
    };
    const scoreBytes = b * nh * t * t * 4;
    const fused = held((a, c, e) => attention(a, c, e, { bias, chunkBytes }));
    const plain = held((a, c, e) => plainAttention(a, c, e, bias));
    expect(plain).toBeGreaterThan(scoreBytes);
    // What the fused op may keep: its output twice (value + saved), q, k, v, the row max and
    // sum, and a handle on the caller's bias (counted again by tf.memory though it is shared).
    const qBytes = b * nh * t * d * 4;
    expect(fused).toBeLessThanOrEqual(5 * qBytes + 2 * b * nh * t * 4 + t * t * 4);
    expect(fused).toBeLessThan(scoreBytes);
    tf.dispose([q, k, v, bias, dy]);
  });

  it('leaks no tensors over forward + backward', () => {
    const { q, k, v, bias, dy } = setup(2, 4, 2, 10, 4, [0, 2]);
    const run = () =>
      tf.dispose(grads4((a, c, e) => attention(a, c, e, { bias, chunkBytes: 2 * 2 * 4 * 10 * 4 }))([q, k, v], dy));
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, bias, dy]);
  });

  it('causal: true + a padding bias equals the [B,1,T,S] causal bias (KV offset), value and gradients', () => {
    const [b, nh, nkv, t, s, d] = [2, 4, 2, 5, 9, 4];
    const q = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 7) as tf.Tensor4D;
    const k = tf.randomNormal([b, nkv, s, d], 0, 1, 'float32', 8) as tf.Tensor4D;
    const v = tf.randomNormal([b, nkv, s, d], 0, 1, 'float32', 9) as tf.Tensor4D;
    const dy = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 10) as tf.Tensor4D;
    const mask = tf.tensor2d([0, 0, 1, 1, 1, 1, 1, 1, 1, ...Array<number>(6).fill(0), 1, 1, 1], [b, s]);
    const full = causalAttentionBias(mask, t);
    const keys = paddingAttentionBias(mask);
    const a = grads4((x, y, z) => attention(x, y, z, { bias: full }))([q, k, v], dy);
    const c = grads4((x, y, z) => attention(x, y, z, { bias: keys, causal: true }))([q, k, v], dy);
    for (let i = 0; i < 3; i++) expect(maxRel(c[i]!, a[i]!)).toBe(0);
    expect(maxRel(attention(q, k, v, { bias: keys, causal: true }), attention(q, k, v, { bias: full }))).toBe(0);
    tf.dispose([q, k, v, dy, mask, full, keys, ...a, ...c]);
  });

  it('everyRowSeesAKey: causal chunks attend only up to their diagonal and equal plain attention (KV offset, right pads, GQA)', () => {
    // Right pads and a first key every row sees (the VLM's vision prefix); S = T + 3 (a KV offset).
    const [b, nh, nkv, t, s, d] = [2, 4, 2, 11, 14, 6];
    const q = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 11) as tf.Tensor4D;
    const k = tf.randomNormal([b, nkv, s, d], 0, 1, 'float32', 12) as tf.Tensor4D;
    const v = tf.randomNormal([b, nkv, s, d], 0, 1, 'float32', 13) as tf.Tensor4D;
    const dy = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 14) as tf.Tensor4D;
    const mask = tf.tensor2d([...Array<number>(s).fill(1), ...Array<number>(s - 4).fill(1), 0, 0, 0, 0], [b, s]);
    const full = causalAttentionBias(mask, t);
    const keys = paddingAttentionBias(mask);
    // Chunks of 3 rows: the first attends to S − T + 3 = 6 keys, the last to all 14.
    const chunkBytes = 3 * b * nh * s * 4;
    const opts = { bias: keys, causal: true, everyRowSeesAKey: true, chunkBytes };
    const ref = plainAttention(q, k, v, full);
    const out = attention(q, k, v, opts);
    expect(maxRel(out, ref)).toBeLessThan(1e-6);
    const taped = tf.valueAndGrads((a: tf.Tensor) => attention(a as tf.Tensor4D, k, v, opts))([q], dy);
    expect(maxRel(taped.value, ref)).toBeLessThan(1e-6);
    const gf = grads4((x, y, z) => attention(x, y, z, opts))([q, k, v], dy);
    const gp = grads4((x, y, z) => plainAttention(x, y, z, full))([q, k, v], dy);
    gf.forEach((g, i) => expect(maxRel(g, gp[i]!), ['dq', 'dk', 'dv'][i]).toBeLessThan(1e-5));
    // The skipped keys are really skipped: a chunk's scores are narrower than S.
    const widths: number[] = [];
    const spy = tf.engine().runKernel.bind(tf.engine());
    const engine = tf.engine() as unknown as { runKernel: typeof spy };
    engine.runKernel = ((name: string, inputs: Record<string, tf.Tensor>, attrs: object) => {
      if (name === 'Softmax') widths.push(inputs['logits']!.shape.at(-1)!);
      return spy(name, inputs as never, attrs as never);
    }) as typeof spy;
    try {
      tf.dispose(attention(q, k, v, opts));
    } finally {
      engine.runKernel = spy;
    }
    expect(widths).toEqual([6, 9, 12, 14]);
    tf.dispose([q, k, v, dy, mask, full, keys, ref, out, taped.value, ...taped.grads, ...gf, ...gp]);
  });
});
