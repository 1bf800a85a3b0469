/**
 * Resolves a model name to a folder on disk: a local path as it is, or a hub id
 * (`org/name`) in the Hugging Face cache that Python uses
 * (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`:
 * `models--org--name/snapshots/<rev>/`, with `refs/<branch>` naming the revision).
 * Downloading is never implicit: only with `allowDownload`, through `@huggingface/hub`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ModelNotFoundError } from '../errors.js';

export interface ResolveOptions {
  /** Branch, tag or commit hash (default `main`). */
  readonly revision?: string;
  /** Overrides the hub cache folder. */
  readonly cacheDir?: string;
  /** Download missing files into the hub cache (needs network and `@huggingface/hub`). */
  readonly allowDownload?: boolean;
  /** Files to fetch when downloading (default: config, safetensors, tokenizer files). */
  readonly files?: readonly string[];
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface', 'hub');
}

function looksLikeHubId(name: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(name) && !name.startsWith('.') && !isAbsolute(name);
}

/** The snapshot folder of `repoId` in the cache, or undefined if it is not cached. */
export function findInHubCache(repoId: string, opts: ResolveOptions = {}): string | undefined {
  const repoDir = join(opts.cacheDir ?? hubCacheDir(), `models--${repoId.replace('/', '--')}`);
  if (!existsSync(repoDir)) return undefined;
  const revision = opts.revision ?? 'main';
  const ref = join(repoDir, 'refs', revision);
  const hash = existsSync(ref) ? readFileSync(ref, 'utf8').trim() : revision;
  const snap = join(repoDir, 'snapshots', hash);
  if (existsSync(snap)) return snap;
  // No ref for "main" (e.g. a cache filled by hand): take the only snapshot if there is one.
  const snapsDir = join(repoDir, 'snapshots');
  if (!opts.revision && existsSync(snapsDir)) {
    const snaps = readdirSync(snapsDir).filter((d) => statSync(join(snapsDir, d)).isDirectory());
    if (snaps.length === 1) return join(snapsDir, snaps[0]!);
  }
  return undefined;
}

/** Resolves a local folder or hub id to a folder with the model files. */
export async function resolveModelDir(nameOrPath: string, opts: ResolveOptions = {}): Promise<string> {
  const local = resolve(nameOrPath);
  if (existsSync(local) && statSync(local).isDirectory()) return local;
  if (!looksLikeHubId(nameOrPath)) {
    throw new ModelNotFoundError(
      'E_MODEL_NOT_FOUND',
      `model folder not found: ${nameOrPath}`,
      { path: local },
      'pass a folder with config.json + *.safetensors, or a hub id like Qwen/Qwen3-0.6B',
    );
  }
  const cached = findInHubCache(nameOrPath, opts);
  if (cached) return cached;
  if (!opts.allowDownload) {
    throw new ModelNotFoundError(
      'E_MODEL_NOT_CACHED',
      `${nameOrPath} is neither a local folder nor in the Hugging Face cache`,
      { model: nameOrPath, cache: opts.cacheDir ?? hubCacheDir(), revision: opts.revision ?? 'main' },
      'download it once (e.g. `hf download ' +
        nameOrPath +
        '`), point HF_HOME at a cache that has it, or allow downloads (kvc: allowDownload=true; ' +
        'a gated model also needs HF_TOKEN)',
    );
  }
  return downloadToHubCache(nameOrPath, opts);
}

async function downloadToHubCache(repoId: string, opts: ResolveOptions): Promise<string> {
  let hub: { snapshotDownload: (p: Record<string, unknown>) => Promise<string> };
  try {
    // Optional: only needed when the user allows downloads.
    hub = (await import(/* @vite-ignore */ '@huggingface/hub' as string)) as typeof hub;
  } catch (err) {
    // A dependency of this package: failing to load it means a broken install, not a missing extra.
    throw new ModelNotFoundError(
      'E_HUB_UNAVAILABLE',
      '@huggingface/hub (a dependency of @kvc/models) failed to load, so nothing can be downloaded',
      { model: repoId, reason: (err as Error).message },
      'reinstall the dependencies (npm ci), or download the model with `hf download ' + repoId + '`',
      { cause: err },
    );
  }
  const accessToken = hubToken();
  return hub.snapshotDownload({
    repo: { type: 'model', name: repoId },
    revision: opts.revision ?? 'main',
    cacheDir: opts.cacheDir ?? hubCacheDir(),
    // Gated models (Qwen, Gemma-based SigLIP2 variants) need the user's token, as Python's hub reads it.
    ...(accessToken ? { accessToken } : {}),
  });
}

/** The user's Hugging Face token, from the variables Python's huggingface_hub reads (HF_TOKEN first). */
export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.HF_TOKEN || env.HF_HUB_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
}
