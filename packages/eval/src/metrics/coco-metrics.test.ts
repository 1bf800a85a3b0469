// BLEU, ROUGE-L and CIDEr-D on hand-computable cases (expected values written as the formulas
// pycocoevalcap evaluates on them).
import { describe, expect, it } from 'vitest';
import { corpusBleu } from './bleu.js';
import { corpusCiderD } from './cider-d.js';
import { corpusRougeL, lcsLength, rougeL } from './rouge-l.js';

const s = (x: string) => x.split(' ');

describe('corpusBleu', () => {
  it('identical captions score 1 at every order (up to the 1e-15/1e-9 smoothing)', () => {
    const r = corpusBleu(['a b c d'], ['a b c d']);
    r.bleu.forEach((b) => expect(b).toBeCloseTo(1, 8));
  });

  it('disjoint captions score ~0', () => {
    const r = corpusBleu(['a b c d'], ['w x y z']);
    r.bleu.forEach((b) => expect(b).toBeLessThan(1e-3));
    expect(r.bleu[0]).toBeCloseTo(1e-15 / (4 + 1e-9), 20);
  });

  it.each([
    // [prediction, references, BLEU-1, BLEU-2, refLength]
    // Clipping: "the" counts once against a reference that has it once.
    ['the the the the', ['the cat'], 0.25, Math.sqrt(0.25 * (1e-15 / 3)), 2],
    // Brevity penalty exp(1 - r/c) with c = 2, r = 4.
    ['a b', ['a b c d'], Math.exp(1 - 2), Math.exp(1 - 2), 4],
    // Closest reference length: 2 (|2-3| = 1) beats 6; no penalty since 3 > 2.
    ['a b c', ['a b', 'a b c d e f'], 1, 1, 2],
    // A tie between lengths 2 and 4 picks the shorter.
    ['a b c', ['a b', 'a b c d'], 1, 1, 2],
  ] as const)('%s vs %j', (pred, refs, b1, b2, refLength) => {
    const r = corpusBleu([pred], [refs]);
    expect(r.bleu[0]).toBeCloseTo(b1, 7);
    expect(r.bleu[1]).toBeCloseTo(b2, 7);
    expect(r.refLength).toBe(refLength);
  });

  it('is corpus-level: counts are summed before the ratio', () => {
    const r = corpusBleu(['a b', 'c d'], ['a b', 'x y'], { n: 1 });
    expect(r.bleu[0]).toBeCloseTo(2 / 4, 8);
    expect(r.perSample[0]?.[0]).toBeCloseTo(1, 8);
    expect(r.perSample[0]?.[1]).toBeLessThan(1e-9);
  });

  it('takes a tokenizer and validates shapes', () => {
    const chars = (t: string) => Array.from(t);
    expect(corpusBleu(['가나다'], ['가나다'], { tokenize: chars }).bleu[2]).toBeCloseTo(1, 8);
    expect(() => corpusBleu(['a'], [])).toThrow(/differ in length/);
    expect(() => corpusBleu(['a'], [[]])).toThrow(/no reference/);
  });
});

describe('ROUGE-L', () => {
  const f = (p: number, r: number, beta = 1.2) => ((1 + beta ** 2) * p * r) / (r + beta ** 2 * p);

  it.each([
    ['a b c d', 'a c e', 2],
    ['a b c d', 'a b c d', 4],
    ['a b c', 'c b a', 1],
    ['x y', 'a b', 0],
  ])('LCS(%s, %s) = %i', (a, b, l) => {
    expect(lcsLength(s(a), s(b))).toBe(l);
    expect(lcsLength(s(b), s(a))).toBe(l);
  });

  it('F with beta 1.2 from best precision and best recall', () => {
    expect(rougeL(s('a b c d'), [s('a b c d')])).toBe(1);
    expect(rougeL(s('a b c d'), [s('a c e')])).toBeCloseTo(f(2 / 4, 2 / 3), 14);
    // Precision max (3/3) comes from the long reference, recall max (2/2) from the short one.
    expect(rougeL(s('a b c'), [s('a b'), s('a x b y c z')])).toBeCloseTo(f(1, 1), 14);
    expect(rougeL(s('x y'), [s('a b')])).toBe(0);
    expect(rougeL([], [s('a b')])).toBe(0);
  });

  it('corpus score is the mean', () => {
    const r = corpusRougeL(['a b c d', 'x y'], ['a c e', 'a b']);
    expect(r.scores).toEqual([rougeL(s('a b c d'), [s('a c e')]), 0]);
    expect(r.rougeL).toBeCloseTo(f(2 / 4, 2 / 3) / 2, 14);
  });
});

describe('CIDEr-D', () => {
  it('two distinct identical pairs of 2 tokens: orders 1 and 2 are 1, orders 3 and 4 are 0 → 10·mean = 5', () => {
    const r = corpusCiderD(['a b', 'c d'], ['a b', 'c d']);
    expect(r.scores[0]).toBeCloseTo(5, 12);
    expect(r.scores[1]).toBeCloseTo(5, 12);
    expect(r.ciderD).toBeCloseTo(5, 12);
  });

  it('identical 4-token captions with unseen n-grams elsewhere score 10', () => {
    const r = corpusCiderD(['a b c d', 'e f g h'], ['a b c d', 'e f g h']);
    expect(r.scores[0]).toBeCloseTo(10, 12);
  });

  it('a corpus of one sample scores 0 (idf = log 1 - log 1)', () => {
    expect(corpusCiderD(['a b'], ['a b']).ciderD).toBe(0);
  });

  it('clips repeated hypothesis n-grams and penalises bigram-count differences', () => {
    // Unigram: h = 4·idf, r = idf → min(h,r)·r / (|h|·|r|) = 1/4; no reference bigrams → orders 2–4 are 0.
    // Length = #bigrams: 3 vs 0 → factor exp(-9/72). Mean over 4 orders, ×10.
    const r = corpusCiderD(['a a a a', 'x'], ['a', 'x']);
    expect(r.scores[0]).toBeCloseTo(((0.25 * Math.exp(-9 / 72)) / 4) * 10, 12);
  });

  it('the Gaussian penalty is exp(-δ²/2σ²)', () => {
    const preds = ['a b c', 'x y'];
    const refs = ['a b c d e', 'x y'];
    const penalised = corpusCiderD(preds, refs).scores[0] as number;
    const free = corpusCiderD(preds, refs, { sigma: 1e12 }).scores[0] as number;
    expect(penalised / free).toBeCloseTo(Math.exp(-(2 ** 2) / 72), 12);
  });

  it('averages over references', () => {
    const one = corpusCiderD(['a b', 'c d'], [['a b'], ['c d']]).scores[0] as number;
    const two = corpusCiderD(['a b', 'c d'], [['a b', 'z z'], ['c d']]).scores[0] as number;
    expect(two).toBeLessThan(one);
    expect(two).toBeGreaterThan(0);
  });
});
