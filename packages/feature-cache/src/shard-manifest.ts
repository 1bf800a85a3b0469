/**
 * The shard manifest: `kvc-shard.json` beside a shard cache's LMDB files, saying which shard of how
 * many it holds, so `mergeCaches` can tell a missing shard or shards of two different splits.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wrapWriteError } from '@kvc/errors';
import type { CacheShard } from './cache-shard.js';
import { FeatureCacheError } from './errors.js';

export interface ShardManifest extends CacheShard {
  readonly format: 'kvc-cache-shard/1';
}

export const SHARD_MANIFEST = 'kvc-shard.json';

/** Records that the cache directory `dir` (existing) holds shard `s`. */
export function writeShardManifest(dir: string, s: CacheShard): void {
  const m: ShardManifest = { format: 'kvc-cache-shard/1', index: s.index, count: s.count };
  const file = join(dir, SHARD_MANIFEST);
  try {
    writeFileSync(file, JSON.stringify(m) + '\n');
  } catch (err) {
    throw wrapWriteError(err, file, FeatureCacheError);
  }
}

/** The manifest in `dir`, or undefined when there is none (a cache built without --shard). */
export function readShardManifest(dir: string): ShardManifest | undefined {
  const file = join(dir, SHARD_MANIFEST);
  if (!existsSync(file)) return undefined;
  let m: Partial<ShardManifest> | undefined;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Partial<ShardManifest>;
  } catch {
    m = undefined;
  }
  const ok = m?.format === 'kvc-cache-shard/1' && Number.isInteger(m.index) && Number.isInteger(m.count);
  if (!ok)
    throw new FeatureCacheError(
      'E_BAD_SHARD',
      `${file} is not a shard manifest`,
      { file },
      `rewrite it by rerunning the shard's \`kvc cache --shard\`, or remove it to merge the cache as a plain one`,
    );
  return m as ShardManifest;
}
