/**
 * nltk `PunktLanguageVars` (English defaults): the sentence-end characters, the period-context
 * regex that finds candidate breaks, the boundary-realignment regex, and Punkt's own word
 * splitter (`_tokenize_words`). Python's VERBOSE patterns are written out without whitespace and
 * with py-regex.ts classes.
 */
import { PunktToken } from './punkt-token.js';
import { PY_END, PY_NOT_S, PY_S, pyStrip } from './py-regex.js';

/** Characters that can end a sentence. */
export const SENT_END_CHARS: readonly string[] = ['.', '?', '!'];
const NON_WORD = '(?:[)";}\\]*:@\'({\\[\\u2018\\u2019\\u201c\\u201d\\xab\\xbb?!])';
const MULTI_CHAR = `(?:-{2,}|\\.{2,}|(?:\\.${PY_S}){2,}\\.)`;
const WORD_START = '[^("`{\\[:;&#*@)}\\]\\-,]';
const WORD_RE = new RegExp(
  `${MULTI_CHAR}|(?=${WORD_START})${PY_NOT_S}+?(?=${PY_S}|${PY_END}|${NON_WORD}|${MULTI_CHAR}|,(?=${PY_END}|${PY_S}|${NON_WORD}|${MULTI_CHAR}))|${PY_NOT_S}`,
  'gu',
);
/** A sentence-end character followed by punctuation or by whitespace and the next token (`next_tok`). */
export const PERIOD_CONTEXT_RE = new RegExp(
  `[.?!](?=(?<after_tok>${NON_WORD}|${PY_S}+(?<next_tok>${PY_NOT_S}+)))`,
  'gud',
);
/** Closing punctuation after a break that belongs to the previous sentence. */
// Python compiles this with MULTILINE, so its `$` also matches before any "\n".
export const BOUNDARY_REALIGNMENT_RE = new RegExp(
  `^["')\\]}\\u2018\\u2019\\u201c\\u201d\\xab\\xbb]+?(?:${PY_S}+|(?=--)|(?=\\n|$))`,
  'u',
);

/** nltk `_tokenize_words`: Punkt's own word split, line by line, marking line/paragraph starts. */
export function tokenizeWords(plaintext: string): PunktToken[] {
  const out: PunktToken[] = [];
  let parastart = false;
  for (const line of plaintext.split('\n')) {
    if (pyStrip(line)) {
      const words = line.match(WORD_RE) ?? [];
      if (words.length === 0) continue;
      words.forEach((w, i) => out.push(i === 0 ? new PunktToken(w, parastart, true) : new PunktToken(w)));
      parastart = false;
    } else {
      parastart = true;
    }
  }
  return out;
}
