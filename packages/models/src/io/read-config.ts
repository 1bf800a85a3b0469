/** Reads a model folder's `config.json` (HF format) with a clear error when absent or invalid. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

export async function readJsonConfig<T = Record<string, unknown>>(dir: string, file = 'config.json'): Promise<T> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ConfigError(
      'E_CONFIG_MISSING',
      `${file} not found in the model folder`,
      { file: path },
      'a Hugging Face model folder has config.json beside its weights',
    );
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as T;
  } catch (err) {
    throw new ConfigError('E_CONFIG_INVALID', `${file} is not a valid JSON object: ${(err as Error).message}`, {
      file: path,
    });
  }
}
