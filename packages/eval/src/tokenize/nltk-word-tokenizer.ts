/**
 * Port of nltk 3.10.3 `NLTKWordTokenizer.tokenize` (nltk/tokenize/destructive.py), the improved
 * Treebank tokenizer behind `word_tokenize`, with `convert_parentheses=False`. The regexes and
 * their order are nltk's; Python's Unicode `\w`, `\d`, `\s`, `\b` and `$` are spelled with the
 * helpers of py-regex.ts so non-Latin scripts (Hangul) split exactly as in Python.
 */
import { PY_B, PY_D, PY_END, PY_S, PY_W, pySplit } from './py-regex.js';

type Rule = readonly [RegExp, string];

const rule = (source: string, replacement: string, flags = ''): Rule => [new RegExp(source, `gu${flags}`), replacement];

// Python replacement syntax translated: \1 -> $1, \g<0> -> $&.
const STARTING_QUOTES: readonly Rule[] = [
  rule('([«“‘„]|[`]+)', ' $1 '),
  rule('^"', '``'),
  rule('(``)', ' $1 '),
  rule('([ \\(\\[{<])("|\'{2})', '$1 `` '),
  rule(`(?<!${PY_W})(')(?!(?:re|ve|ll|m|t|s|d|n)${PY_B})(?=${PY_W})`, '$1 ', 'i'),
];

const ENDING_QUOTES: readonly Rule[] = [
  rule('([»”’])', ' $1 '),
  rule("''", " '' "),
  rule('"', " '' "),
  rule(`${PY_S}+`, ' '),
  rule("([^' ])('[sS]|'[mM]|'[dD]|') ", '$1 $2 '),
  rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", '$1 $2 '),
];

const PUNCTUATION: readonly Rule[] = [
  // The class ends with a space: nltk concatenates `"»”’ "` into it.
  rule(`([^\\.])(\\.)([\\]\\)}>"'»”’ ]*)${PY_S}*${PY_END}`, '$1 $2 $3 '),
  rule(`([:,])([^${PY_D}])`, ' $1 $2'),
  rule(`([:,])${PY_END}`, ' $1 '),
  rule('\\.{2,}', ' $& '),
  rule('[;@#$%&]', ' $& '),
  rule('[\\u2012-\\u2015]', ' $& '),
  rule(`([^\\.])(\\.)([\\]\\)}>"']*)${PY_S}*${PY_END}`, '$1 $2$3 '),
  rule('[?!]', ' $& '),
  rule("([^'])' ", "$1 ' "),
  rule('[*]', ' $& '),
];

// `<` and `>` unescaped: identity escapes are syntax errors under the `u` flag.
const PARENS_BRACKETS = rule('[\\]\\[\\(\\)\\{\\}<>]', ' $& ');
const DOUBLE_DASHES = rule('--', ' -- ');

// MacIntyre contractions; nltk's `(?#X)` comments are dropped (JS has no inline comments).
const CONTRACTIONS2: readonly RegExp[] = [
  `${PY_B}(can)(not)${PY_B}`,
  `${PY_B}(d)('ye)${PY_B}`,
  `${PY_B}(gim)(me)${PY_B}`,
  `${PY_B}(gon)(na)${PY_B}`,
  `${PY_B}(got)(ta)${PY_B}`,
  `${PY_B}(lem)(me)${PY_B}`,
  `${PY_B}(more)('n)${PY_B}`,
  `${PY_B}(wan)(na)(?=${PY_S})`,
].map((s) => new RegExp(s, 'giu'));
const CONTRACTIONS3: readonly RegExp[] = [` ('t)(is)${PY_B}`, ` ('t)(was)${PY_B}`].map((s) => new RegExp(s, 'giu'));

/**
 * Tokenize one sentence the way nltk's `NLTKWordTokenizer().tokenize(text)` does.
 * It assumes sentence splitting already happened (see {@link nltkWordTokenize}).
 */
export function nltkTreebankTokenize(input: string): string[] {
  let text = input;
  for (const [re, sub] of STARTING_QUOTES) text = text.replace(re, sub);
  for (const [re, sub] of PUNCTUATION) text = text.replace(re, sub);
  text = text.replace(PARENS_BRACKETS[0], PARENS_BRACKETS[1]);
  text = text.replace(DOUBLE_DASHES[0], DOUBLE_DASHES[1]);
  text = ` ${text} `;
  for (const [re, sub] of ENDING_QUOTES) text = text.replace(re, sub);
  for (const re of CONTRACTIONS2) text = text.replace(re, ' $1 $2 ');
  for (const re of CONTRACTIONS3) text = text.replace(re, ' $1 $2 ');
  return pySplit(text);
}
