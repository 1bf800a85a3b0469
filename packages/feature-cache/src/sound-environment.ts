/**
 * assertSoundEnvironment: the checks FeatureCache.open runs before LMDB maps a cache's file, so a
 * damaged cache is an E_CACHE_DAMAGED error naming it instead of a process killed by a signal.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CacheOpenError } from './errors.js';
import { checkLmdbFile } from './lmdb-header.js';
import { damagedCache } from './lmdb-failure.js';
import { probeLmdb } from './lmdb-probe.js';

/**
 * Throws E_CACHE_DAMAGED when `dir/data.mdb` exists but is not a sound LMDB file (lmdb-header.ts),
 * or, with `probe`, when walking its trees in a child process fails (lmdb-probe.ts). A missing
 * file is E_CACHE_NOT_FOUND when reading only, else a new cache; an empty one passes when
 * writable, as LMDB then initialises it.
 */
export async function assertSoundEnvironment(
  dir: string,
  o: { readonly readOnly: boolean; readonly probe: boolean },
): Promise<void> {
  const file = join(dir, 'data.mdb');
  if (!existsSync(file)) {
    if (!o.readOnly) return; // a new cache
    throw new CacheOpenError(
      'E_CACHE_NOT_FOUND',
      `no feature cache at ${dir}`,
      { path: dir },
      'check the path, or build the cache first (`kvc cache`); a cache is a directory holding data.mdb',
    );
  }
  if (!statSync(file).isFile()) throw damagedCache(dir, `${file} is not a file`);
  const c = checkLmdbFile(file);
  if (!c.ok) {
    if (c.problem === 'empty' && !o.readOnly) return;
    throw damagedCache(dir, c.detail);
  }
  if (o.probe) {
    const p = await probeLmdb(dir);
    if (!p.ok) throw damagedCache(dir, p.detail);
  }
}
