// METEOR port: hand-computable cases (formulas written out), nltk's alignment order, the Porter
// stemmer on its textbook examples, and every reference pair's score.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusMeteor } from './corpus-meteor.js';
import { countChunks, meteorAlign, meteorScore, singleMeteorScore } from './meteor.js';
import { numpyMean } from './numpy-mean.js';
import { porterStem } from './porter-stemmer.js';

const refUrl = new URL('../../../../test/fixtures/reference/meteor/meteor_reference.json', import.meta.url);
const reference = JSON.parse(readFileSync(refUrl, 'utf8')) as {
  corpus_meteor: number;
  cases: { prediction: string; reference: string; pred_tokens: string[]; ref_tokens: string[]; meteor: number }[];
};

// score = (1 - gamma * (chunks/m)^beta) * P*R / (alpha*P + (1-alpha)*R), alpha .9, beta 3, gamma .5
const meteorOf = (m: number, hypLen: number, refLen: number, chunks: number) => {
  const p = m / hypLen;
  const r = m / refLen;
  return (1 - 0.5 * (chunks / m) ** 3) * ((p * r) / (0.9 * p + 0.1 * r));
};

const split = (s: string) => (s ? s.split(' ') : []);

describe('singleMeteorScore', () => {
  it.each([
    // [hypothesis, reference, matches, chunks]
    ['the cat sat on the mat', 'the cat sat on the mat', 6, 1],
    // Matching runs from the last hypothesis word and pops the *last* free position: "the" -> ref 4.
    ['the cat sat', 'the cat sat on the mat', 3, 2],
    // Greedy from the end: "the"(4) -> ref 1 and "the"(1) -> ref 4, so 5 chunks where 2 were possible.
    ['on the mat the cat sat', 'the cat sat on the mat', 6, 5],
    ['the the cat', 'the cat the', 3, 3],
    // Lower-cased before matching.
    ['Cats', 'cats', 1, 1],
    // Porter stage: runs/running -> run; quickly -> quickli, quick -> quick do not match.
    ['runs quickly', 'running quick', 1, 1],
  ] as const)('%s | %s', (hyp, ref, m, chunks) => {
    expect(singleMeteorScore(split(ref), split(hyp))).toBeCloseTo(
      meteorOf(m, split(hyp).length, split(ref).length, chunks),
      14,
    );
    expect(countChunks(meteorAlign(split(hyp), split(ref)))).toBe(chunks);
  });

  it('alignment follows nltk order', () => {
    expect(meteorAlign(split('the cat sat'), split('the cat sat on the mat'))).toEqual([
      [0, 4],
      [1, 1],
      [2, 2],
    ]);
  });

  it.each([
    ['a b c', 'x y z'],
    ['', 'x y z'],
    ['a b', ''],
  ])('no match or empty side scores 0: %j vs %j', (hyp, ref) => {
    expect(singleMeteorScore(split(ref), split(hyp))).toBe(0);
  });

  it('synonym stage is off without a provider and on with one', () => {
    const hyp = split('a quick dog');
    const ref = split('a fast dog');
    expect(singleMeteorScore(ref, hyp)).toBeCloseTo(meteorOf(2, 3, 3, 2), 14);
    // Lemma names with "_" are ignored, as nltk does.
    const synonyms = (w: string) => (w === 'quick' ? ['fast', 'speedy_run'] : []);
    expect(singleMeteorScore(ref, hyp, { synonyms })).toBeCloseTo(meteorOf(3, 3, 3, 1), 14);
  });

  it('parameters change the score', () => {
    const hyp = split('the cat sat');
    const ref = split('the cat sat on the mat');
    const p = 1;
    const r = 0.5;
    const expected = (1 - 0.3 * (2 / 3) ** 2) * ((p * r) / (0.5 * p + 0.5 * r));
    expect(singleMeteorScore(ref, hyp, { alpha: 0.5, beta: 2, gamma: 0.3 })).toBeCloseTo(expected, 14);
    expect(singleMeteorScore(ref, hyp, { stemmer: null })).toBe(singleMeteorScore(ref, hyp));
  });

  it('meteorScore takes the best reference', () => {
    const hyp = split('the cat sat');
    expect(meteorScore([split('x y'), split('the cat sat')], hyp)).toBe(singleMeteorScore(split('the cat sat'), hyp));
    expect(() => meteorScore([], hyp)).toThrow(/at least one reference/);
  });
});

describe('porterStem (nltk NLTK_EXTENSIONS mode)', () => {
  it.each([
    ['caresses', 'caress'],
    ['ponies', 'poni'],
    ['ties', 'tie'],
    ['cats', 'cat'],
    ['feed', 'feed'],
    ['agreed', 'agre'],
    ['plastered', 'plaster'],
    ['motoring', 'motor'],
    ['sing', 'sing'],
    ['conflated', 'conflat'],
    ['hopping', 'hop'],
    ['falling', 'fall'],
    ['filing', 'file'],
    ['happy', 'happi'],
    ['sky', 'sky'],
    ['skies', 'sky'],
    ['dying', 'die'],
    ['generalizations', 'gener'],
    ['relational', 'relat'],
    ['hopefulness', 'hope'],
    ['electrical', 'electr'],
    ['adjustment', 'adjust'],
    ['adoption', 'adopt'],
    ['controll', 'control'],
    ['roll', 'roll'],
    ['Running', 'run'],
    ['biology', 'biolog'],
    ['ab', 'ab'],
    ['있다', '있다'],
    ['CCTV가', 'cctv가'],
  ])('%s -> %s', (word, stem) => {
    expect(porterStem(word)).toBe(stem);
  });
});

describe('reference pairs (nltk 3.10.3 via HF evaluate)', () => {
  it.each(reference.cases.map((c, i) => [i, c] as const))('pair %i score within 1e-6', (_, c) => {
    expect(Math.abs(singleMeteorScore(c.ref_tokens, c.pred_tokens) - c.meteor)).toBeLessThanOrEqual(1e-6);
  });

  it('corpusMeteor reproduces the corpus mean from raw text', () => {
    const { meteor, scores } = corpusMeteor(
      reference.cases.map((c) => c.prediction),
      reference.cases.map((c) => c.reference),
    );
    expect(scores).toHaveLength(reference.cases.length);
    expect(Math.abs(meteor - reference.corpus_meteor)).toBeLessThanOrEqual(1e-6);
    expect(() => corpusMeteor(['a'], [])).toThrow(/differ in length/);
  });
});

describe('numpyMean', () => {
  it('sums pairwise in blocks of 8 like numpy', () => {
    // Sequential summation loses every 1 added to 1e16 (its ulp is 2). numpy's 8 accumulators
    // hold 1e16 (+1 lost), then 2,2,...: ((1e16+2)+(2+2)) + ((2+2)+(2+2)) = 1e16 + 14.
    const values = [1e16, ...Array.from({ length: 15 }, () => 1)];
    const sequential = values.reduce((a, b) => a + b, 0) / values.length;
    expect(numpyMean(values)).not.toBe(sequential);
    expect(numpyMean(values)).toBe((1e16 + 14) / 16);
    expect(numpyMean([1, 2, 3])).toBe(2);
    expect(numpyMean([])).toBeNaN();
  });
});
