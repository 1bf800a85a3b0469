/**
 * Python `re` character classes written for JavaScript `u`-flag regexes. nltk's tokenizers are
 * regex pipelines compiled by Python, where `\w`, `\d`, `\s` and `\b` are Unicode-aware; the JS
 * built-ins are ASCII-only (`\w`, `\b`) or differ in membership (`\s` includes U+FEFF but not
 * U+001C–U+001F or U+0085). Using these constants keeps Hangul and other scripts behaving as in
 * Python.
 */

/** Members of Python's `str.isspace()` / `\s` (Unicode), as a character-class body. */
export const PY_SPACE_BODY =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python `\s`. */
export const PY_S = `[${PY_SPACE_BODY}]`;
/** Python `\S`. */
export const PY_NOT_S = `[^${PY_SPACE_BODY}]`;
/** Python `\w` body: letters, numbers (any numeric category) and underscore. Marks are not `\w` in Python. */
export const PY_WORD_BODY = '\\p{L}\\p{N}_';
/** Python `\w`. */
export const PY_W = `[${PY_WORD_BODY}]`;
/** Python `\d`: decimal digits only (category Nd). */
export const PY_D = '\\p{Nd}';
/** Python `[^\W\d]`: word characters that are not decimal digits. */
export const PY_W_NOT_D = '[\\p{L}\\p{Nl}\\p{No}_]';
/** Python `\b` (Unicode word boundary). */
export const PY_B = `(?:(?<=${PY_W})(?!${PY_W})|(?<!${PY_W})(?=${PY_W}))`;
/** Python `$` without MULTILINE: end of string, or just before a final newline. */
export const PY_END = '(?=\\n?$)';

const PY_SPACE_RE = new RegExp(`${PY_S}+`, 'u');
const PY_STRIP_END_RE = new RegExp(`${PY_S}+$`, 'u');
const PY_STRIP_START_RE = new RegExp(`^${PY_S}+`, 'u');

/** Python `str.split()` with no argument: split on whitespace runs, drop empty strings. */
export function pySplit(text: string): string[] {
  return text.split(PY_SPACE_RE).filter((t) => t.length > 0);
}

/** Python `str.rstrip()`. */
export function pyRstrip(text: string): string {
  return text.replace(PY_STRIP_END_RE, '');
}

/** Python `str.strip()`. */
export function pyStrip(text: string): string {
  return pyRstrip(text).replace(PY_STRIP_START_RE, '');
}

/** Python `str.isupper()` on one character: a cased uppercase letter. */
export function pyIsUpperChar(ch: string): boolean {
  return /^\p{Uppercase}$/u.test(ch);
}

/** Python `str.islower()` on one character: a cased lowercase letter. */
export function pyIsLowerChar(ch: string): boolean {
  return /^\p{Lowercase}$/u.test(ch);
}

/** First code point of a string as a string (Python `s[0]`), or '' for ''. */
export function firstCodePoint(text: string): string {
  const cp = text.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}
