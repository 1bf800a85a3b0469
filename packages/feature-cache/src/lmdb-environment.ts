/**
 * openDatabases: the LMDB environment of a feature cache and its three databases: `info` (format
 * and lifetime counters, strings), `meta` (entry headers) and `data` (tensor bytes), both binary.
 * Called only after assertSoundEnvironment has checked the file, so what fails here is a format
 * from another kvc version, or LMDB refusing the file (MDB_INVALID, MDB_PAGE_NOTFOUND...).
 */
import { mkdirSync } from 'node:fs';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import { CacheOpenError } from './errors.js';
import { damagedCache, rebuildHint } from './lmdb-failure.js';

const FORMAT = 'kvc-feature-cache/1';

export interface CacheDatabases {
  readonly root: RootDatabase;
  readonly info: Database<string, string>;
  readonly meta: Database<Uint8Array, string>;
  readonly data: Database<Uint8Array, string>;
}

/** Opens (or, unless read-only, creates) the environment at the absolute directory `abs`. */
export async function openDatabases(
  abs: string,
  o: { readonly readOnly: boolean; readonly noSync: boolean },
): Promise<CacheDatabases> {
  let root: RootDatabase | undefined;
  try {
    if (!o.readOnly) mkdirSync(abs, { recursive: true });
    // noSubdir false: lmdb-js takes a path with an extension (`cache.shard-0-of-4`, `feats.v2`) for a file.
    root = open(abs, { maxDbs: 4, readOnly: o.readOnly, noSync: o.noSync, noSubdir: false });
    const info = root.openDB<string, string>('info', { encoding: 'string' });
    const format = info.get('format');
    if (format !== undefined && format !== FORMAT) {
      throw new CacheOpenError(
        'E_CACHE_FORMAT',
        `unsupported feature cache format ${format}`,
        { path: abs, format, expected: FORMAT },
        'this cache was written by another version of kvc; rebuild it in a new directory',
      );
    }
    if (format === undefined && !o.readOnly) info.putSync('format', FORMAT);
    const meta = root.openDB<Uint8Array, string>('meta', { encoding: 'binary' });
    const data = root.openDB<Uint8Array, string>('data', { encoding: 'binary' });
    return { root, info, meta, data };
  } catch (err) {
    await root?.close().catch(() => undefined);
    if (err instanceof CacheOpenError) throw err;
    const reason = (err as Error).message;
    // MDB_INVALID, MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_VERSION_MISMATCH...: the file, not the caller.
    if (/MDB_/.test(reason)) throw damagedCache(abs, reason, err);
    throw new CacheOpenError(
      'E_CACHE_OPEN',
      `cannot open the feature cache at ${abs}`,
      { path: abs, reason },
      o.readOnly ? 'is this directory a kvc feature cache?' : rebuildHint(abs),
      { cause: err },
    );
  }
}
