/** Reads a reference case folder: `case.json` (its kind and parameters) and `reference.safetensors`. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelsError } from '../errors.js';
import { SafetensorsFile } from '../io/safetensors-file.js';

export interface CaseJson {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export async function readCaseJson(caseDir: string): Promise<CaseJson> {
  const file = join(resolve(caseDir), 'case.json');
  if (!existsSync(file)) {
    throw new ModelsError(
      'E_CASE_NOT_FOUND',
      'no case.json in the case folder',
      { dir: resolve(caseDir) },
      'a reference case is a folder with case.json (its kind) and reference files, see test/fixtures/README.md',
    );
  }
  const c = JSON.parse(await readFile(file, 'utf8')) as CaseJson;
  if (typeof c.kind !== 'string') throw new ModelsError('E_CASE_INVALID', 'case.json has no "kind"', { file });
  return c;
}

/** Every tensor of a case's `reference.safetensors` as float32 with its shape. */
export async function readReferenceTensors(
  caseDir: string,
  file = 'reference.safetensors',
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const f = await SafetensorsFile.open(join(resolve(caseDir), file));
  try {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, info] of f.tensors) out.set(name, { shape: [...info.shape], data: await f.readFloat32(name) });
    return out;
  } finally {
    await f.close();
  }
}
