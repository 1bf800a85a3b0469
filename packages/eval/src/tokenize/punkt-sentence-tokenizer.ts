/**
 * Port of nltk 3.10.3 `PunktSentenceTokenizer.tokenize` (nltk/tokenize/punkt.py) for splitting
 * already-trained text: the period-context regex, `_match_potential_end_contexts`, the Punkt
 * word splitter, first-pass (type) and second-pass (collocation, orthographic, initial/number)
 * annotation, and boundary realignment. Training is not ported; parameters come from
 * punkt-parameters.ts.
 */
import {
  EMPTY_PUNKT_PARAMETERS,
  ORTHO_BEG_LC,
  ORTHO_LC,
  ORTHO_MID_UC,
  ORTHO_UC,
  type PunktParameters,
} from './punkt-parameters.js';
import { BOUNDARY_REALIGNMENT_RE, PERIOD_CONTEXT_RE, SENT_END_CHARS, tokenizeWords } from './punkt-language-vars.js';
import type { PunktToken } from './punkt-token.js';
import { pyRstrip } from './py-regex.js';

const PUNCTUATION = new Set([';', ':', ',', '.', '!', '?']);
const ASCII_WHITESPACE = new Set([' ', '\t', '\n', '\r', '\x0b', '\x0c']);

interface Slice {
  readonly start: number;
  readonly stop: number;
}

/** Punkt sentence splitter with fixed parameters (nltk's `PunktSentenceTokenizer(params)`). */
export class PunktSentenceTokenizer {
  constructor(private readonly params: PunktParameters = EMPTY_PUNKT_PARAMETERS) {}

  /** Split `text` into sentences (`realign_boundaries=True`, as `sent_tokenize` does). */
  tokenize(text: string): string[] {
    return this.realignBoundaries(text, this.slicesFromText(text)).map((s) => text.slice(s.start, s.stop));
  }

  private *matchPotentialEndContexts(text: string): Generator<[RegExpExecArray, string]> {
    let previous: Slice = { start: 0, stop: 0 };
    let previousMatch: RegExpExecArray | undefined;
    const context = (m: RegExpExecArray, s: Slice) => text.slice(s.start, s.stop) + m[0] + (m.groups?.after_tok ?? '');
    for (const match of text.matchAll(PERIOD_CONTEXT_RE)) {
      const m = match as RegExpExecArray;
      const beforeText = text.slice(previous.stop, m.index);
      let indexAfterLastSpace = lastAsciiWhitespaceIndex(beforeText);
      // nltk's quirk: index 0 means "none found" even when the whitespace is at 0.
      indexAfterLastSpace = indexAfterLastSpace ? indexAfterLastSpace + previous.stop + 1 : previous.start;
      const prevWordSlice = { start: indexAfterLastSpace, stop: m.index };
      if (previousMatch && previous.stop <= prevWordSlice.start)
        yield [previousMatch, context(previousMatch, previous)];
      previousMatch = m;
      previous = prevWordSlice;
    }
    if (previousMatch) yield [previousMatch, context(previousMatch, previous)];
  }

  private slicesFromText(text: string): Slice[] {
    const slices: Slice[] = [];
    let lastBreak = 0;
    for (const [m, context] of this.matchPotentialEndContexts(text)) {
      if (this.textContainsSentbreak(context)) {
        slices.push({ start: lastBreak, stop: m.index + m[0].length });
        const nextTok = m.indices?.groups?.next_tok;
        // The next sentence starts after the whitespace, or at the following punctuation.
        lastBreak = nextTok ? nextTok[0] : m.index + m[0].length;
      }
    }
    slices.push({ start: lastBreak, stop: pyRstrip(text).length });
    return slices;
  }

  private realignBoundaries(text: string, slices: readonly Slice[]): Slice[] {
    const out: Slice[] = [];
    let realign = 0;
    slices.forEach((s1, i) => {
      const sentence1 = { start: s1.start + realign, stop: s1.stop };
      const sentence2 = slices[i + 1];
      const nonEmpty = sentence1.stop > sentence1.start;
      if (!sentence2) {
        if (nonEmpty) out.push(sentence1);
        return;
      }
      const m = BOUNDARY_REALIGNMENT_RE.exec(text.slice(sentence2.start, sentence2.stop));
      if (m) {
        out.push({ start: sentence1.start, stop: sentence2.start + pyRstrip(m[0]).length });
        realign = m[0].length;
      } else {
        realign = 0;
        if (nonEmpty) out.push(sentence1);
      }
    });
    return out;
  }

  /** True when a sentence break is found before the last token of `text`. */
  private textContainsSentbreak(text: string): boolean {
    const tokens = tokenizeWords(text);
    tokens.forEach((t) => this.firstPassAnnotation(t));
    let found = false;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i] as PunktToken;
      if (found) return true;
      this.secondPassAnnotation(tok, tokens[i + 1]);
      if (tok.sentbreak) found = true;
    }
    return false;
  }

  private firstPassAnnotation(aug: PunktToken): void {
    const tok = aug.tok;
    if (SENT_END_CHARS.includes(tok)) aug.sentbreak = true;
    else if (aug.isEllipsis) aug.ellipsis = true;
    else if (aug.periodFinal && !tok.endsWith('..')) {
      const base = tok.slice(0, -1).toLowerCase();
      if (this.params.abbrevTypes.has(base) || this.params.abbrevTypes.has(base.split('-').at(-1) ?? ''))
        aug.abbr = true;
      else aug.sentbreak = true;
    }
  }

  private secondPassAnnotation(aug1: PunktToken, aug2: PunktToken | undefined): void {
    if (!aug2 || !aug1.periodFinal) return;
    const typ = aug1.typeNoPeriod;
    const nextTyp = aug2.typeNoSentperiod;
    const tokIsInitial = aug1.isInitial;
    if (this.params.collocations.has(`${typ}\t${nextTyp}`)) {
      aug1.sentbreak = false;
      aug1.abbr = true;
      return;
    }
    if ((aug1.abbr || aug1.ellipsis) && !tokIsInitial) {
      const isSentStarter = this.orthoHeuristic(aug2);
      if (isSentStarter === true) {
        aug1.sentbreak = true;
        return;
      }
      if (aug2.firstUpper && this.params.sentStarters.has(nextTyp)) {
        aug1.sentbreak = true;
        return;
      }
    }
    if (tokIsInitial || typ === '##number##') {
      const isSentStarter = this.orthoHeuristic(aug2);
      if (isSentStarter === false) {
        aug1.sentbreak = false;
        aug1.abbr = true;
        return;
      }
      if (isSentStarter === 'unknown' && tokIsInitial && aug2.firstUpper && !(this.ortho(nextTyp) & ORTHO_LC)) {
        aug1.sentbreak = false;
        aug1.abbr = true;
      }
    }
  }

  private ortho(typ: string): number {
    return this.params.orthoContext.get(typ) ?? 0;
  }

  private orthoHeuristic(aug: PunktToken): boolean | 'unknown' {
    if (PUNCTUATION.has(aug.tok)) return false;
    const ctx = this.ortho(aug.typeNoSentperiod);
    if (aug.firstUpper && ctx & ORTHO_LC && !(ctx & ORTHO_MID_UC)) return true;
    if (aug.firstLower && (ctx & ORTHO_UC || !(ctx & ORTHO_BEG_LC))) return false;
    return 'unknown';
  }
}

function lastAsciiWhitespaceIndex(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (ASCII_WHITESPACE.has(text[i] as string)) return i;
  return 0;
}
