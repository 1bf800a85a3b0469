/**
 * The conditions Porter's rules test (consonant/vowel pattern, measure m, *v*, *d, *o) and the
 * rule-list application, as nltk 3.10.3 writes them (nltk/stem/porter.py). Note nltk's two
 * consonant definitions: `_is_consonant` walks back over runs of "y", `_consonant_flags` (used by
 * the measure) alternates from the previous flag; both are kept.
 */

export const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

export type Condition = ((stem: string) => boolean) | null;
export type Rule = readonly [suffix: string, replacement: string, condition: Condition];

export const at = (w: string, i: number): string => w[i < 0 ? w.length + i : i] ?? '';

export function isConsonant(word: string, index: number): boolean {
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
export function measure(stem: string): number {
  const cv = consonantFlags(stem)
    .map((c) => (c ? 'c' : 'v'))
    .join('');
  return cv.split('vc').length - 1;
}
export const positive = (stem: string) => measure(stem) > 0;
export const containsVowel = (stem: string) => !consonantFlags(stem).every(Boolean);
export const endsDoubleConsonant = (w: string) =>
  w.length >= 2 && at(w, -1) === at(w, -2) && isConsonant(w, w.length - 1);
export function endsCvc(w: string): boolean {
  return (
    (w.length >= 3 &&
      isConsonant(w, w.length - 3) &&
      !isConsonant(w, w.length - 2) &&
      isConsonant(w, w.length - 1) &&
      !['w', 'x', 'y'].includes(at(w, -1))) ||
    (w.length === 2 && !isConsonant(w, 0) && isConsonant(w, 1))
  );
}
export const dropSuffix = (w: string, suffix: string) => (suffix === '' ? w : w.slice(0, -suffix.length));

export function applyRuleList(word: string, rules: readonly Rule[]): string {
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
