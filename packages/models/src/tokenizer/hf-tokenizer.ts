/**
 * A Hugging Face tokenizer from a local folder's tokenizer.json + tokenizer_config.json, through
 * @huggingface/tokenizers (pure JS, ~0.6 MB; never the network). It is the library transformers.js
 * itself tokenizes with: transformers.js' tokenizer classes add only the special-token lookups
 * from tokenizer_config.json, the padding side and token type ids on top, so kvc reads those here
 * and needs neither transformers.js nor the onnxruntime and sharp binaries it pulls in (~450 MB).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelNotFoundError } from '../errors.js';

export interface HfTokenizer {
  encode(text: string, addSpecialTokens: boolean): number[];
  decode(ids: readonly number[], skipSpecialTokens: boolean): string;
  tokenToId(token: string): number | undefined;
  /** The model vocabulary (token → id), as transformers' get_vocab() returns it. */
  vocab(): Map<string, number>;
  readonly eosTokenId: number | undefined;
  /** The pad token, falling back to the eos token (transformers' rule). */
  readonly padTokenId: number | undefined;
  /** `padding_side` of tokenizer_config.json (transformers.js: right, left for Llama tokenizers). */
  readonly paddingSide: 'left' | 'right';
}

/** Classes whose transformers.js tokenizer pads on the left when the config does not say. */
const LEFT_PADDING_CLASSES = new Set(['LlamaTokenizer', 'CodeLlamaTokenizer']);

/** A special token named in tokenizer_config.json: a string, or an AddedToken object (its content). */
function configToken(config: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const item = config[key];
    if (!item) continue;
    if (typeof item === 'string') return item;
    if (typeof item === 'object' && typeof (item as { content?: unknown }).content === 'string') {
      return (item as { content: string }).content;
    }
  }
  return undefined;
}

/** Reads `dir`'s tokenizer; `missing` is the error for a folder without tokenizer.json. */
export async function loadHfTokenizer(dir: string, missing: { code: string; hint: string }): Promise<HfTokenizer> {
  const jsonPath = join(dir, 'tokenizer.json');
  if (!existsSync(jsonPath)) {
    throw new ModelNotFoundError(missing.code, 'no tokenizer.json in the model folder', { dir }, missing.hint);
  }
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as object;
  const cfgPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(cfgPath)
    ? (JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>)
    : ({} as Record<string, unknown>);
  const tok = new Tokenizer(json, config);
  const id = (t: string | undefined) => (t === undefined ? undefined : tok.token_to_id(t));
  const cls = typeof config.tokenizer_class === 'string' ? config.tokenizer_class : undefined;
  const side = config.padding_side ?? (LEFT_PADDING_CLASSES.has(cls?.replace(/Fast$/, '') ?? '') ? 'left' : 'right');
  return {
    encode: (text, addSpecialTokens) => tok.encode(text, { add_special_tokens: addSpecialTokens }).ids,
    decode: (ids, skipSpecialTokens) => tok.decode([...ids], { skip_special_tokens: skipSpecialTokens }),
    tokenToId: (t) => tok.token_to_id(t),
    vocab: () => tok.get_vocab(),
    eosTokenId: id(configToken(config, 'eos_token')),
    padTokenId: id(configToken(config, 'pad_token', 'eos_token')),
    paddingSide: side === 'left' ? 'left' : 'right',
  };
}
