import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { causalAttentionBias } from './attention-bias.js';
import { attentionRowsPerChunk, fusedAttention } from './fused-attention.js';

/** The textbook attention autodiff differentiates: repeat K/V per query head, softmax, matmul. */
function plainAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor4D): tf.Tensor4D {
  const rep = q.shape[1] / k.shape[1];
  // HF repeat_kv: query head h reads kv head floor(h / rep).
  const heads = tf.tensor1d(Array.from({ length: q.shape[1] }, (_, h) => Math.floor(h / rep)), 'int32');
  const kr = tf.gather(k, heads, 1);
  const vr = tf.gather(v, heads, 1);
  const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, kr, false, true), 1 / Math.sqrt(q.shape[3])), bias));
  return tf.matMul(p, vr) as tf.Tensor4D;
}

const maxRel = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]!));

function setup(b: number, nh: number, nkv: number, t: number, d: number, pads: number[]) {
  const q = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 1) as tf.Tensor4D;
  const k = tf.randomNormal([b, nkv, t, d], 0, 1, 'float32', 2) as tf.Tensor4D;
  const v = tf.randomNormal([b, nkv, t, d], 0, 1, 'float32', 3) as tf.Tensor4D;
  // Left padding: row i has pads[i] masked keys (and fully masked query rows).
  const mask = tf.tensor2d(pads.flatMap((p) => Array.from({ length: t }, (_, j) => (j < p ? 0 : 1))), [b, t]);
  const bias = causalAttentionBias(mask, t);
  // Rows that see some key; a left pad's query sees none. Its output is padding: no loss reads
  // it, so its upstream gradient is 0, as in training.
  const seen = tf.tensor4d(pads.flatMap((p) => Array.from({ length: t }, (_, i) => (i >= p ? 1 : 0))), [b, 1, t, 1]);
  const dy = tf.mul(tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 4), seen) as tf.Tensor4D;
  return { q, k, v, bias, dy, seen };
}

describe('fusedAttention', () => {
  // chunk sizes: one block, uneven chunks, one row at a time.
  for (const [name, b, nh, nkv, t, d, rows] of [
    ['no GQA, one chunk', 2, 2, 2, 9, 8, 100],
    ['4:1 GQA, uneven chunks of 4 rows', 2, 4, 1, 11, 6, 4],
    ['2:1 GQA, one row per chunk', 1, 4, 2, 7, 5, 1],
  ] as const) {
    it(`equals autodiff through plain attention, value and q/k/v gradients: ${name}`, () => {
      const { q, k, v, bias, dy, seen } = setup(b, nh, nkv, t, d, b === 2 ? [0, 3] : [2]);
      const chunkBytes = rows * b * nh * t * 4;
      expect(attentionRowsPerChunk(b, nh, t, chunkBytes)).toBe(rows);
      const fused = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => fusedAttention(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D, bias, { chunkBytes }));
      const plain = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => plainAttention(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D, bias));
      const outF = fusedAttention(q, k, v, bias, { chunkBytes });
      const outP = plainAttention(q, k, v, bias);
      // Equal on every row that sees a key (the causal skip changes only what a row seeing no
      // key averages: padding).
      expect(maxRel(tf.mul(outF, seen), tf.mul(outP, seen))).toBeLessThan(1e-6);
      const gf = fused([q, k, v], dy);
      const gp = plain([q, k, v], dy);
      ['dq', 'dk', 'dv'].forEach((label, i) => {
        expect(gf[i]!.shape, label).toEqual(gp[i]!.shape);
        expect(maxRel(gf[i]!, gp[i]!), label).toBeLessThan(1e-5);
      });
      tf.dispose([q, k, v, bias, dy, seen, outF, outP, ...gf, ...gp]);
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
    const fused = held((a, c, e) => fusedAttention(a, c, e, bias, { chunkBytes }));
    const plain = held((a, c, e) => plainAttention(a, c, e, bias));
    expect(plain).toBeGreaterThan(scoreBytes);
    // What the fused op may keep: its output twice (value + saved), q, k, v, the row max and
    // sum, and a handle on the caller's bias (counted again by tf.memory though it is shared).
    const qBytes = b * nh * t * d * 4;
    expect(fused).toBeLessThanOrEqual(5 * qBytes + 2 * b * nh * t * 4 + t * t * 4);
    expect(fused).toBeLessThan(scoreBytes);
    tf.dispose([q, k, v, bias, dy]);
  });

  it('skips the keys after each chunk\'s last query (causal): identical to attending over all of them', () => {
    // No padding: every row sees a key, so skipping the masked future changes nothing at all.
    const { q, k, v, bias, dy } = setup(1, 2, 2, 12, 4, [0]);
    const whole = 1 * 2 * 12 * 12 * 4;
    const run = (chunkBytes: number) => tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => fusedAttention(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D, bias, { chunkBytes }))([q, k, v], dy);
    const one = run(whole);
    const rowChunks = run(whole / 12);
    one.forEach((g, i) => expect(maxRel(rowChunks[i]!, g), ['dq', 'dk', 'dv'][i]).toBeLessThan(1e-6));
    expect(maxRel(fusedAttention(q, k, v, bias, { chunkBytes: whole / 12 }), fusedAttention(q, k, v, bias, { chunkBytes: whole }))).toBeLessThan(1e-6);
    tf.dispose([q, k, v, bias, dy, ...one, ...rowChunks]);
  });

  it('leaks no tensors over forward + backward', () => {
    const { q, k, v, bias, dy } = setup(2, 4, 2, 10, 4, [0, 2]);
    const run = () => tf.dispose(tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => fusedAttention(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor4D, bias, { chunkBytes: 2 * 2 * 4 * 10 * 4 }))([q, k, v], dy));
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, bias, dy]);
  });
});
