/**
 * The tokenizer type the corpus metrics (BLEU, ROUGE-L, CIDEr-D, diversity) take, and their
 * default: Python's `str.split()`, which is what pycocoevalcap applies after its PTB tokenizer.
 * For Korean, whitespace splits eojeol (word + particles), so "공원에서" and "공원을" never match;
 * a morpheme tokenizer (e.g. MeCab-ko) is a known improvement and plugs in here.
 */
import { pySplit } from './py-regex.js';

/** Turns a caption into tokens. */
export type Tokenizer = (text: string) => readonly string[];

/** Split on runs of (Unicode) whitespace, like Python's `str.split()`. */
export const whitespaceTokenize: Tokenizer = (text) => pySplit(text);
