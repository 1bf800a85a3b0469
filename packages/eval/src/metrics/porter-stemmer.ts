/**
 * Port of nltk 3.10.3 `PorterStemmer` in its default NLTK_EXTENSIONS mode (nltk/stem/porter.py),
 * the stemmer METEOR's second matching stage uses. Rules, their order and nltk's departures from
 * the original algorithm (irregular forms, `ies`/`ied` on 4-letter words, `alli`, `fulli`, `logi`,
 * the two-letter cvc case, the step 1c condition) are kept. Python indexes strings by code point:
 * astral characters are swapped for private-use placeholders so lengths and comparisons match.
 */

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
const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

type Condition = ((stem: string) => boolean) | null;
type Rule = readonly [suffix: string, replacement: string, condition: Condition];

const at = (w: string, i: number): string => w[i < 0 ? w.length + i : i] ?? '';

function isConsonant(word: string, index: number): boolean {
  let i = index;
  if (VOWELS.has(at(word, i))) return false;
  if (at(word, i) === 'y') {
    let negate = false;
    while (i > 0 && at(word, i) === 'y') {
      negate = !negate;
      i -= 1;
    }
    return !VOWELS.has(at(word, i)) !== negate;
  }
  return true;
}

function consonantFlags(word: string): boolean[] {
  const flags: boolean[] = [];
  for (let i = 0; i < word.length; i++) {
    const ch = at(word, i);
    if (VOWELS.has(ch)) flags.push(false);
    else if (ch === 'y') flags.push(i === 0 ? true : !flags[i - 1]);
    else flags.push(true);
  }
  return flags;
}

/** Porter's m: the number of VC sequences in the stem. */
function measure(stem: string): number {
  const cv = consonantFlags(stem)
    .map((c) => (c ? 'c' : 'v'))
    .join('');
  return cv.split('vc').length - 1;
}
const positive = (stem: string) => measure(stem) > 0;
const containsVowel = (stem: string) => !consonantFlags(stem).every(Boolean);
const endsDoubleConsonant = (w: string) => w.length >= 2 && at(w, -1) === at(w, -2) && isConsonant(w, w.length - 1);
function endsCvc(w: string): boolean {
  return (
    (w.length >= 3 &&
      isConsonant(w, w.length - 3) &&
      !isConsonant(w, w.length - 2) &&
      isConsonant(w, w.length - 1) &&
      !['w', 'x', 'y'].includes(at(w, -1))) ||
    (w.length === 2 && !isConsonant(w, 0) && isConsonant(w, 1))
  );
}
const dropSuffix = (w: string, suffix: string) => (suffix === '' ? w : w.slice(0, -suffix.length));

function applyRuleList(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === '*d' && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
    if (word.endsWith(suffix)) {
      const stem = dropSuffix(word, suffix);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

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

const step1c = (word: string) => applyRuleList(word, [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);

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
const STEP4_SUFFIXES = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ion', 'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize'];
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
