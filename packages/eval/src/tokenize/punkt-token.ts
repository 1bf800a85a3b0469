/**
 * nltk `PunktToken`: a word of the Punkt word splitter with its type (lower-cased, numbers
 * collapsed to `##number##`) and the annotations the two passes set.
 */
import { PY_D, PY_END, PY_W_NOT_D, firstCodePoint, pyIsLowerChar, pyIsUpperChar } from './py-regex.js';

const RE_ELLIPSIS = new RegExp(`^\\.\\.+${PY_END}`, 'u');
const RE_NUMERIC = new RegExp(`^-?[\\.,]?${PY_D}[${PY_D},\\.\\-]*\\.?${PY_END}`, 'u');
const RE_INITIAL = new RegExp(`^${PY_W_NOT_D}\\.${PY_END}`, 'u');
const RE_NON_PUNCT = new RegExp(PY_W_NOT_D, 'u');

/** One Punkt token with its annotations (mutable, as in nltk). */
export class PunktToken {
  readonly tok: string;
  readonly type: string;
  readonly periodFinal: boolean;
  parastart = false;
  linestart = false;
  sentbreak = false;
  abbr = false;
  ellipsis = false;

  constructor(tok: string, parastart = false, linestart = false) {
    this.tok = tok;
    // `.sub` on a `^...$` pattern replaces the whole token or nothing (the match never includes a
    // trailing newline, which tokens cannot contain anyway).
    this.type = tok.toLowerCase().replace(RE_NUMERIC, '##number##');
    this.periodFinal = tok.endsWith('.');
    this.parastart = parastart;
    this.linestart = linestart;
  }

  /** The type without its final period (if longer than one character). */
  get typeNoPeriod(): string {
    return this.type.length > 1 && this.type.endsWith('.') ? this.type.slice(0, -1) : this.type;
  }

  /** The type without the final period if this token is a sentence break. */
  get typeNoSentperiod(): string {
    return this.sentbreak ? this.typeNoPeriod : this.type;
  }

  get firstUpper(): boolean {
    return pyIsUpperChar(firstCodePoint(this.tok));
  }

  get firstLower(): boolean {
    return pyIsLowerChar(firstCodePoint(this.tok));
  }

  get isEllipsis(): boolean {
    return RE_ELLIPSIS.test(this.tok);
  }

  get isNumber(): boolean {
    return this.type.startsWith('##number##');
  }

  get isInitial(): boolean {
    return RE_INITIAL.test(this.tok);
  }

  get isNonPunct(): boolean {
    return RE_NON_PUNCT.test(this.type);
  }
}
