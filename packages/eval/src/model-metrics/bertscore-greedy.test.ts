import { describe, expect, it } from 'vitest';
import { greedyCosineBatch, type WeightedSentence } from './bertscore-greedy.js';
import { bertscoreDefaultLayer } from './bert-default-layer.js';

/** A sentence from 2-d token vectors; the first and last are [CLS]/[SEP] (weight 0). */
function sentence(...rows: [number, number][]): WeightedSentence {
  return {
    embeddings: { data: Float32Array.from(rows.flat()), length: rows.length, dim: 2 },
    weights: rows.map((_, i) => (i === 0 || i === rows.length - 1 ? 0 : 1)),
  };
}
const CLS: [number, number] = [1, 1];
const SEP: [number, number] = [1, -1];

describe('greedyCosineBatch (bert_score greedy_cos_idf)', () => {
  it('gives 1 for identical sentences and ignores vector lengths (cosine)', () => {
    const a = sentence(CLS, [3, 4], [0, 2], SEP);
    const b = sentence(CLS, [6, 8], [0, 0.5], SEP);
    expect(greedyCosineBatch([a], [b])[0]).toEqual({ precision: 1, recall: 1, f1: 1 });
  });

  it('weights only the content tokens as queries but lets [CLS]/[SEP] be matched', () => {
    // both content tokens are closest to the other side's [CLS] [1,1], which is matched though it weighs 0
    const cand = sentence(CLS, [1, 0.9], SEP);
    const ref = sentence(CLS, [0, 1], SEP);
    const [v] = greedyCosineBatch([cand], [ref]);
    const cos = (x: number[], y: number[]) =>
      (x[0]! * y[0]! + x[1]! * y[1]!) / Math.hypot(x[0]!, x[1]!) / Math.hypot(y[0]!, y[1]!);
    expect(v!.precision).toBeCloseTo(cos([1, 0.9], CLS), 7);
    expect(v!.recall).toBeCloseTo(cos([0, 1], CLS), 7);
    expect(v!.f1).toBeCloseTo((2 * v!.precision * v!.recall) / (v!.precision + v!.recall), 12);
  });

  it('gives 0 for an empty candidate or reference ([CLS][SEP] only)', () => {
    const empty = sentence(CLS, SEP);
    const full = sentence(CLS, [1, 0], SEP);
    expect(greedyCosineBatch([empty, full], [full, empty])).toEqual([
      { precision: 0, recall: 0, f1: 0 },
      { precision: 0, recall: 0, f1: 0 },
    ]);
  });

  it('lets a padded position offer similarity 0 within a batch, as the masked matrix does', () => {
    // every similarity between these is negative: alone the max is negative, padded it is 0
    const cand = sentence([-1, 0], [-1, 0.1], [-1, -0.1]);
    const ref = sentence([1, 0], [1, 0.1], [1, -0.1]);
    const alone = greedyCosineBatch([cand], [ref])[0]!;
    expect(alone.precision).toBeLessThan(0);
    const longRef = sentence([1, 0], [1, 0.1], [1, 0.2], [1, -0.1]);
    const [padded] = greedyCosineBatch([cand, cand], [ref, longRef]);
    expect(padded!.precision).toBe(0);
    expect(padded!.recall).toBe(alone.recall); // the candidate side is not padded
  });

  it('rejects mismatched batches', () => {
    expect(() => greedyCosineBatch([sentence(CLS, SEP)], [])).toThrow(RangeError);
  });
});

describe('bertscoreDefaultLayer', () => {
  it.each([
    ['bert-base-multilingual-cased', 9],
    ['google-bert/bert-base-multilingual-cased', 9],
    ['/models/bert-base-multilingual-cased/', 9],
    ['bert-large-uncased', 18],
    ['my/own-bert', undefined],
  ])('%s → %s', (model, layer) => expect(bertscoreDefaultLayer(model)).toBe(layer));
});
