// Diversity statistics on small hand-counted corpora.
import { describe, expect, it } from 'vitest';
import { MODE_COLLAPSE_THRESHOLD, diversityStats, lengthStats } from './diversity.js';

describe('diversityStats', () => {
  it('counts unique captions, distinct n-grams, empties and lengths', () => {
    const d = diversityStats(['a b a', 'a b a', 'c d', '  ']);
    expect(d.count).toBe(4);
    expect(d.uniqueRatio).toBe(3 / 4);
    expect(d.modeCollapse).toBe(false);
    // unigrams: a b a a b a c d (8), distinct {a,b,c,d}; bigrams: ab ba ab ba cd (5), distinct 3.
    expect(d.distinct1).toBe(4 / 8);
    expect(d.distinct2).toBe(3 / 5);
    expect(d.emptyCount).toBe(1);
    expect(d.lengthTokens).toEqual({ mean: 8 / 4, min: 0, max: 3, median: 2.5 });
    expect(d.lengthChars).toEqual({ mean: (5 + 5 + 3 + 2) / 4, min: 2, max: 5, median: 4 });
    // Repetition over non-empty captions: 1 - 2/3 twice, 0 once.
    expect(d.repetition).toBeCloseTo((1 / 3 + 1 / 3 + 0) / 3, 14);
    expect(d.eosRate).toBeUndefined();
  });

  it('flags mode collapse below the threshold', () => {
    const same = Array.from({ length: 4 }, () => '같은 문장이다');
    const d = diversityStats([...same, '다른 문장이다']);
    expect(d.uniqueRatio).toBe(2 / 5);
    expect(d.uniqueRatio).toBeLessThan(MODE_COLLAPSE_THRESHOLD);
    expect(d.modeCollapse).toBe(true);
    expect(diversityStats(['가', '나']).modeCollapse).toBe(false);
  });

  it('measures chars in code points and the EOS rate over known flags', () => {
    const d = diversityStats(['한국어', '😀'], { eosReached: [true, false] });
    expect(d.lengthChars.max).toBe(3);
    expect(d.lengthChars.min).toBe(1);
    expect(d.eosRate).toBe(0.5);
    expect(diversityStats(['a', 'b', 'c'], { eosReached: [true, undefined, true] }).eosRate).toBe(1);
    expect(() => diversityStats(['a'], { eosReached: [] })).toThrow(/differ in length/);
  });

  it('handles an empty corpus without NaN', () => {
    const d = diversityStats([]);
    expect([d.uniqueRatio, d.distinct1, d.distinct2, d.repetition, d.lengthTokens.mean]).toEqual([0, 0, 0, 0, 0]);
    expect(d.modeCollapse).toBe(false);
  });

  it('lengthStats median of an odd list', () => {
    expect(lengthStats([5, 1, 3])).toEqual({ mean: 3, min: 1, max: 5, median: 3 });
  });
});
