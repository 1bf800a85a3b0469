/**
 * nltk 3.10.3 `word_tokenize(text)`: Punkt sentence split (`sent_tokenize`, English) followed by
 * `NLTKWordTokenizer` on each sentence. This is the tokenizer HF `evaluate`'s meteor applies to
 * both prediction and reference.
 */
import { nltkTreebankTokenize } from './nltk-word-tokenizer.js';
import type { PunktParameters } from './punkt-parameters.js';
import { PunktSentenceTokenizer } from './punkt-sentence-tokenizer.js';

const defaultSplitter = new PunktSentenceTokenizer();

/** Options of {@link nltkWordTokenize}. */
export interface NltkWordTokenizeOptions {
  /** Punkt parameters (default: empty; see punkt-parameters.ts for what that changes). */
  readonly punkt?: PunktParameters;
  /** nltk's `preserve_line`: skip sentence splitting. */
  readonly preserveLine?: boolean;
}

/** Sentence-split `text` the way nltk's `sent_tokenize` does (given Punkt parameters). */
export function nltkSentTokenize(text: string, punkt?: PunktParameters): string[] {
  return (punkt ? new PunktSentenceTokenizer(punkt) : defaultSplitter).tokenize(text);
}

/** Tokenize `text` exactly like nltk's `word_tokenize(text)`. */
export function nltkWordTokenize(text: string, options: NltkWordTokenizeOptions = {}): string[] {
  const sentences = options.preserveLine ? [text] : nltkSentTokenize(text, options.punkt);
  return sentences.flatMap((s) => nltkTreebankTokenize(s));
}
