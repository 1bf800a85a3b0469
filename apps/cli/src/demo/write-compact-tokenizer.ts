/**
 * Writes a tokenizer folder for a tiny LLM: the real tokenizer files (tokenizer.json,
 * tokenizer_config.json, copied from `sourceDir`, by default the bundled Qwen3 tokenizer) and
 * a `kvc_vocab_map.json` holding only the ids the given texts use plus eos, pad and any extra
 * special tokens, so `loadTokenizer(dir)` returns compact ids.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bundledQwen3TokenizerDir, loadTokenizer, writeVocabMap, type TextTokenizer } from '@kvc/models';
import { CliError } from '../cli-error.js';

export interface CompactTokenizerOptions {
  /** Folder of the real tokenizer (default: the bundled Qwen3 one). */
  readonly sourceDir?: string;
  /** Special tokens to keep besides eos and pad (default Qwen3's <|im_start|>). */
  readonly extraTokens?: readonly string[];
}

export interface CompactVocabulary {
  /** compact id i ↔ original id originalIds[i]. */
  readonly originalIds: readonly number[];
  readonly eosTokenId: number;
  readonly padTokenId: number;
}

/** The ids of every text (no special tokens) plus `extra`, ascending and unique. */
function collectVocabIds(tok: Pick<TextTokenizer, 'encode'>, texts: readonly string[], extra: number[]): number[] {
  const ids = new Set<number>(extra);
  for (const t of texts) for (const id of tok.encode(t)) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

/** Writes the folder; returns the map and the compact eos/pad ids. */
export async function writeCompactTokenizer(
  dir: string,
  texts: readonly string[],
  opts: CompactTokenizerOptions = {},
): Promise<CompactVocabulary> {
  const src = opts.sourceDir ?? bundledQwen3TokenizerDir();
  const real = await loadTokenizer(src);
  if (real.eosTokenId === undefined || real.padTokenId === undefined) {
    throw new CliError('E_TOKENIZER_SPECIALS', 'the source tokenizer has no eos or pad token', { dir: src });
  }
  const extra = (opts.extraTokens ?? ['<|im_start|>']).flatMap((t) => {
    const id = real.tokenToId(t);
    return id === undefined ? [] : [id];
  });
  const originalIds = collectVocabIds(real, texts, [real.eosTokenId, real.padTokenId, ...extra]);
  await mkdir(dir, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    if (existsSync(join(src, f))) await copyFile(join(src, f), join(dir, f));
  await writeVocabMap(dir, originalIds);
  return {
    originalIds,
    eosTokenId: originalIds.indexOf(real.eosTokenId),
    padTokenId: originalIds.indexOf(real.padTokenId),
  };
}
