/**
 * Port of nltk 3.10.3 `PorterStemmer` in its default NLTK_EXTENSIONS mode (nltk/stem/porter.py),
 * the stemmer METEOR's second matching stage uses. Rules, their order and nltk's departures from
 * the original algorithm (irregular forms, `ies`/`ied` on 4-letter words, `alli`, `fulli`, `logi`,
 * the two-letter cvc case, the step 1c condition) are kept. Python indexes strings by code point:
 * astral characters are swapped for private-use placeholders so lengths and comparisons match.
 */

import {
  type Rule,
  applyRuleList,
  at,
  containsVowel,
  dropSuffix,
  endsCvc,
  isConsonant,
  measure,
  positive,
} from './porter-rules.js';

const IRREGULAR: Readonly<Record<string, readonly string[]>> = {
  sky: ['sky', 'skies'],
  die: ['dying'],
  lie: ['lying'],
  tie: ['tying'],
  news: ['news'],
  inning: ['innings', 'inning'],
  outing: ['outings', 'outing'],
  canning: ['cannings', 'canning'],
  howe: ['howe'],
  proceed: ['proceed'],
  exceed: ['exceed'],
  succeed: ['succeed'],
};
const POOL = new Map<string, string>(Object.entries(IRREGULAR).flatMap(([k, vs]) => vs.map((v) => [v, k] as const)));
function step1a(word: string): string {
  if (word.endsWith('ies') && word.length === 4) return dropSuffix(word, 'ies') + 'ie';
  return applyRuleList(word, [
    ['sses', 'ss', null],
    ['ies', 'i', null],
    ['ss', 'ss', null],
    ['s', '', null],
  ]);
}

function step1b(word: string): string {
  if (word.endsWith('ied')) return dropSuffix(word, 'ied') + (word.length === 4 ? 'ie' : 'i');
  if (word.endsWith('eed')) {
    const stem = dropSuffix(word, 'eed');
    return measure(stem) > 0 ? stem + 'ee' : word;
  }
  let intermediate: string | undefined;
  for (const suffix of ['ed', 'ing']) {
    if (word.endsWith(suffix)) {
      const candidate = dropSuffix(word, suffix);
      if (containsVowel(candidate)) {
        intermediate = candidate;
        break;
      }
    }
  }
  if (intermediate === undefined) return word;
  const last = at(intermediate, -1);
  return applyRuleList(intermediate, [
    ['at', 'ate', null],
    ['bl', 'ble', null],
    ['iz', 'ize', null],
    ['*d', last, () => !['l', 's', 'z'].includes(last)],
    ['', 'e', (stem) => measure(stem) === 1 && endsCvc(stem)],
  ]);
}

const step1c = (word: string) =>
  applyRuleList(word, [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);

function step2(word: string): string {
  if (word.endsWith('alli') && positive(dropSuffix(word, 'alli'))) return step2(dropSuffix(word, 'alli') + 'al');
  const rules: Rule[] = [
    ['ational', 'ate', positive],
    ['tional', 'tion', positive],
    ['enci', 'ence', positive],
    ['anci', 'ance', positive],
    ['izer', 'ize', positive],
    ['bli', 'ble', positive],
    ['alli', 'al', positive],
    ['entli', 'ent', positive],
    ['eli', 'e', positive],
    ['ousli', 'ous', positive],
    ['ization', 'ize', positive],
    ['ation', 'ate', positive],
    ['ator', 'ate', positive],
    ['alism', 'al', positive],
    ['iveness', 'ive', positive],
    ['fulness', 'ful', positive],
    ['ousness', 'ous', positive],
    ['aliti', 'al', positive],
    ['iviti', 'ive', positive],
    ['biliti', 'ble', positive],
    ['fulli', 'ful', positive],
    // nltk measures word[:-3] here, not the stem.
    ['logi', 'log', () => positive(word.slice(0, -3))],
  ];
  return applyRuleList(word, rules);
}

const step3 = (word: string) =>
  applyRuleList(word, [
    ['icate', 'ic', positive],
    ['ative', '', positive],
    ['alize', 'al', positive],
    ['iciti', 'ic', positive],
    ['ical', 'ic', positive],
    ['ful', '', positive],
    ['ness', '', positive],
  ]);

const gt1 = (stem: string) => measure(stem) > 1;
const STEP4_SUFFIXES = [
  'al',
  'ance',
  'ence',
  'er',
  'ic',
  'able',
  'ible',
  'ant',
  'ement',
  'ment',
  'ent',
  'ion',
  'ou',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
];
const STEP4: readonly Rule[] = STEP4_SUFFIXES.map((s) =>
  s === 'ion' ? [s, '', (stem: string) => gt1(stem) && ['s', 't'].includes(at(stem, -1))] : [s, '', gt1],
);
const step4 = (word: string) => applyRuleList(word, STEP4);

function step5a(word: string): string {
  if (word.endsWith('e')) {
    const stem = dropSuffix(word, 'e');
    if (measure(stem) > 1) return stem;
    if (measure(stem) === 1 && !endsCvc(stem)) return stem;
  }
  return word;
}

const step5b = (word: string) => applyRuleList(word, [['ll', 'l', () => measure(word.slice(0, -1)) > 1]]);

/** Stem one word like nltk's `PorterStemmer().stem(word)` (lower-cases first). */
export function porterStem(word: string): string {
  // Swap astral code points for BMP placeholders so `.length` and indexing count code points.
  const astral = new Map<string, string>();
  const back = new Map<string, string>();
  const encode = (s: string) =>
    Array.from(s, (ch) => {
      if (ch.length === 1) return ch;
      let ph = astral.get(ch);
      if (ph === undefined) {
        let code = 0xe000 + astral.size;
        // Skip private-use characters the word already contains.
        while (word.includes(String.fromCharCode(code))) code += 1;
        ph = String.fromCharCode(code);
        astral.set(ch, ph);
        back.set(ph, ch);
      }
      return ph;
    }).join('');
  const lower = word.toLowerCase();
  if (POOL.has(lower)) return POOL.get(lower) as string;
  // nltk tests the length of the word before lower-casing.
  if (Array.from(word).length <= 2) return lower;
  let stem = encode(lower);
  for (const step of [step1a, step1b, step1c, step2, step3, step4, step5a, step5b]) stem = step(stem);
  return back.size === 0 ? stem : Array.from(stem, (ch) => back.get(ch) ?? ch).join('');
}
