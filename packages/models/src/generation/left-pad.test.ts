/**
 * leftPad: the mask, HF's position ids and the padded embeddings a chunk of positions at a time, each value taken
 * from the definition (zeros before a prompt, then its rows), so the prefill never holds the batch's [B, L, H].
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { leftPad } from './left-pad.js';

await initBackend('cpu');

describe('leftPad', () => {
  const h = 3;
  const lengths = [3, 7, 5];
  // Row i of prompt b holds b·100 + i·10 + (0..h−1): every value names where it came from.
  const prompts = lengths.map((t, b) =>
    tf.tensor2d(
      Float32Array.from({ length: t * h }, (_, e) => b * 100 + Math.floor(e / h) * 10 + (e % h)),
      [t, h],
    ),
  );
  const want = (b: number, pos: number): number[] => {
    const pad = 7 - lengths[b]!;
    return pos < pad ? [0, 0, 0] : [0, 1, 2].map((c) => b * 100 + (pos - pad) * 10 + c);
  };

  it('gives every chunk of positions the padded rows: zeros before each prompt, then its rows in order', async () => {
    const p = leftPad(prompts);
    expect(p.length).toBe(7);
    expect(p.lengths).toEqual(lengths);
    const before = tf.memory().numTensors;
    for (const [s, n] of [
      [0, 7],
      [0, 1],
      [0, 3],
      [2, 3],
      [4, 3],
      [6, 1],
      [3, 4],
    ] as const) {
      const c = p.chunk(s, n);
      expect(c.shape).toEqual([3, n, h]);
      const got = Array.from(await c.data());
      const expected = [0, 1, 2].flatMap((b) => Array.from({ length: n }, (_, i) => want(b, s + i)).flat());
      expect(got).toEqual(expected);
      c.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => p.chunk(5, 3)).toThrow(RangeError);
    // Mask and positions as HF builds them: cumsum(mask) − 1, pads at 1.
    expect(Array.from(await p.mask.data())).toEqual(
      [0, 1, 2].flatMap((b) => Array.from({ length: 7 }, (_, i) => (i >= 7 - lengths[b]! ? 1 : 0))),
    );
    expect(Array.from(await p.positions.data())).toEqual(
      [0, 1, 2].flatMap((b) => Array.from({ length: 7 }, (_, i) => (i >= 7 - lengths[b]! ? i - 7 + lengths[b]! : 1))),
    );
    tf.dispose([p.mask, p.positions]);
  });

  it('one prompt: [1, n, H] chunks of it', async () => {
    const p = leftPad([prompts[1]!]);
    const c = p.chunk(2, 4);
    expect(c.shape).toEqual([1, 4, h]);
    expect(Array.from(await c.data())).toEqual(
      Array.from({ length: 4 }, (_, i) => [0, 1, 2].map((x) => 100 + (2 + i) * 10 + x)).flat(),
    );
    tf.dispose([c, p.mask, p.positions]);
  });
});
