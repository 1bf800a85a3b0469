import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeBertScore, tensorCosineSimilarity } from './bert-score.js';
import { cosineSimilarity, type TokenEmbeddings } from './bertscore-greedy.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Deterministic pseudo-random embeddings. */
function embeddings(length: number, dim: number, seed: number): TokenEmbeddings {
  let x = seed;
  const data = Float32Array.from(
    { length: length * dim },
    () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1,
  );
  return { data, length, dim };
}

describe('computeBertScore', () => {
  it('computes the same similarities on the tensor backend as in plain JS', async () => {
    const c = embeddings(7, 16, 1);
    const r = embeddings(5, 16, 2);
    const before = tf.memory().numTensors;
    const t = await tensorCosineSimilarity(c, r);
    expect(tf.memory().numTensors).toBe(before);
    const j = cosineSimilarity(c, r);
    expect(t.length).toBe(35);
    for (let i = 0; i < j.length; i++) expect(Math.abs(t[i]! - j[i]!)).toBeLessThan(1e-6);
  });

  it('embeds each distinct sentence once and scores pairs in order', async () => {
    const embedded: number[][] = [];
    const encoder = {
      encode: (s: string) => [0, ...Array.from(s, (ch) => ch.charCodeAt(0) % 50), 1],
      weights: (ids: readonly number[]) => ids.map((_, i) => (i === 0 || i === ids.length - 1 ? 0 : 1)),
      embed: async (lists: readonly (readonly number[])[]) => {
        embedded.push(...lists.map((l) => [...l]));
        return lists.map((l) => ({
          data: Float32Array.from(l.flatMap((id) => [Math.cos(id), Math.sin(id)])),
          length: l.length,
          dim: 2,
        }));
      },
    };
    const scores = await computeBertScore(encoder, ['ab', 'ab', ''], ['ab', 'cd', 'ab'], {
      similarity: cosineSimilarity,
    });
    expect(embedded).toHaveLength(3); // 'ab', '', 'cd'
    expect(scores[0]!.f1).toBeCloseTo(1, 12);
    expect(scores[1]!.f1).toBeLessThan(1);
    expect(scores[2]).toEqual({ precision: 0, recall: 0, f1: 0 });
  });
});
