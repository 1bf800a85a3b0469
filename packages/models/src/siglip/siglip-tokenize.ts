/**
 * SigLIP text tokenization: padded to `max_length` 64 by default, as the model was trained
 * (the model card); `padding: 'longest'` reproduces the seed's `padding=True` for comparison.
 * No attention mask is passed to the text tower either way.
 */
import type { EncodedBatch, EncoderTokenizer } from '../processors/encoder-tokenizer.js';

export interface SiglipTokenizeOptions {
  /** Default `max_length` (model card); `longest` is the seed's behaviour. */
  readonly padding?: 'max_length' | 'longest';
  /** Default 64. */
  readonly maxLength?: number;
}

export function siglipTokenize(
  tokenizer: EncoderTokenizer,
  texts: readonly string[],
  opts: SiglipTokenizeOptions = {},
): EncodedBatch {
  return tokenizer.encode(texts, { padding: opts.padding ?? 'max_length', maxLength: opts.maxLength ?? 64 });
}
