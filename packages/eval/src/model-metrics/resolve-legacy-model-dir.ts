/**
 * Model resolution that also accepts the hub's legacy ids without an organisation
 * (`bert-base-multilingual-cased`, the name bert_score and `evaluate` use). They are looked up
 * in the Hugging Face cache as given and under `google-bert/`, where the hub moved them;
 * everything else goes to @kvc/models' resolveModelDir. Never downloads.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ModelNotFoundError, findInHubCache, hubCacheDir, resolveModelDir, type ResolveOptions } from '@kvc/models';

/** The organisations the hub moved legacy (org-less) model ids to. */
const LEGACY_ORGS = ['google-bert', 'FacebookAI', 'distilbert', 'openai-community'];

/** A local folder or a cached hub id (legacy org-less ids included) → folder. */
export async function resolveLegacyModelDir(name: string, opts: ResolveOptions = {}): Promise<string> {
  const legacy = /^[\w.-]+$/.test(name) && !isAbsolute(name) && !existsSync(resolve(name));
  if (!legacy) return resolveModelDir(name, opts);
  const tried = [name, ...LEGACY_ORGS.map((o) => `${o}/${name}`)];
  for (const id of tried) {
    const dir = findInHubCache(id, opts);
    if (dir) return dir;
  }
  throw new ModelNotFoundError(
    'E_MODEL_NOT_CACHED',
    `${name} is neither a local folder nor in the Hugging Face cache`,
    { model: name, cache: opts.cacheDir ?? hubCacheDir(), tried },
    `download it once (e.g. \`hf download google-bert/${name}\`), point HF_HOME at a cache that has it, or pass a local folder`,
  );
}
