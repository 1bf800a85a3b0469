/**
 * A compact vocabulary over a real tokenizer: the tiny demo LLM knows only the Qwen3 token ids
 * its texts use (logits over 151,936 tokens are far too slow on a CPU). `kvc_vocab_map.json`
 * (`{"original_ids": [...]}`: compact id i ↔ original id original_ids[i]) sits next to the real
 * tokenizer.json, and `loadTokenizer` wraps the real tokenizer with it: encode with the real
 * tokenizer then map, decode back through the map. A token outside the map is an error
 * (E_TOKEN_NOT_IN_VOCAB): a silent UNK would corrupt training targets and captions. The file
 * format lives here, beside its reader; which ids to keep is the writer's choice (the CLI demo's
 * `writeCompactTokenizer`).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelsError } from '../errors.js';
import type { TextTokenizer } from './text-tokenizer.js';

export const VOCAB_MAP_FILE = 'kvc_vocab_map.json';

function validate(ids: unknown, file: string): number[] {
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
    throw new ModelsError('E_VOCAB_MAP_INVALID', 'original_ids must be a non-empty list of non-negative integers', {
      file,
    });
  }
  if (new Set(ids).size !== ids.length)
    throw new ModelsError('E_VOCAB_MAP_INVALID', 'original_ids has duplicates', { file });
  return ids as number[];
}

/** Reads `dir/kvc_vocab_map.json`, or undefined when the folder has none. */
export async function readVocabMap(dir: string): Promise<number[] | undefined> {
  const file = join(dir, VOCAB_MAP_FILE);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ModelsError('E_VOCAB_MAP_INVALID', `cannot parse ${VOCAB_MAP_FILE}: ${(err as Error).message}`, { file });
  }
  return validate((raw as { original_ids?: unknown } | null)?.original_ids, file);
}

/** Writes `dir/kvc_vocab_map.json` (validated: non-empty, unique, non-negative ids). */
export async function writeVocabMap(dir: string, originalIds: readonly number[]): Promise<void> {
  const file = join(dir, VOCAB_MAP_FILE);
  validate([...originalIds], file);
  await writeFile(file, JSON.stringify({ original_ids: originalIds }) + '\n');
}

/**
 * The real tokenizer seen through the map: ids, eos/pad and vocabSize are compact. Throws
 * E_VOCAB_MAP_INVALID when the map lacks the tokenizer's eos or pad token.
 */
export function compactTokenizer(
  inner: TextTokenizer,
  originalIds: readonly number[],
  where: Record<string, unknown> = {},
): TextTokenizer {
  const toCompact = new Map(originalIds.map((id, i) => [id, i]));
  const mapSpecial = (id: number | undefined, name: string): number | undefined => {
    if (id === undefined) return undefined;
    const c = toCompact.get(id);
    if (c === undefined)
      throw new ModelsError(
        'E_VOCAB_MAP_INVALID',
        `the vocab map lacks the ${name} token ${id}`,
        { ...where, [name]: id },
        'rebuild the map with the eos and pad ids included',
      );
    return c;
  };
  const eos = mapSpecial(inner.eosTokenId, 'eos');
  const pad = mapSpecial(inner.padTokenId, 'pad');
  return {
    encode(text) {
      return inner.encode(text).map((id) => {
        const c = toCompact.get(id);
        if (c === undefined) {
          const token = inner.decode([id]);
          throw new ModelsError(
            'E_TOKEN_NOT_IN_VOCAB',
            `token ${JSON.stringify(token)} (id ${id}) is not in the compact vocabulary`,
            { ...where, id, token, text: text.length > 80 ? `${text.slice(0, 80)}…` : text },
            'the tiny model knows only the tokens of the texts it was built for: rebuild it with these texts',
          );
        }
        return c;
      });
    },
    decode(ids, opts) {
      const orig = ids.map((c) => {
        const o = originalIds[c];
        if (o === undefined)
          throw new ModelsError(
            'E_TOKEN_NOT_IN_VOCAB',
            `compact id ${c} is outside the vocabulary of ${originalIds.length}`,
            { ...where, id: c },
          );
        return o;
      });
      return inner.decode(orig, opts);
    },
    eosTokenId: eos,
    padTokenId: pad,
    vocabSize: originalIds.length,
    tokenToId: (t) => {
      const o = inner.tokenToId(t);
      return o === undefined ? undefined : toCompact.get(o);
    },
  };
}
