/**
 * FeatureCache: an LMDB environment holding feature tensors by cache key. Readers are synchronous
 * and may live in other processes while one writes (LMDB's MVCC); each write of header + data is a
 * single transaction, so a crash never leaves half an entry visible. Entries failing their integrity
 * check are misses, never returned.
 */
import { resolve } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import type { FeatureKey, StorageDtype } from './cache-key.js';
import { checkEntry, decodeBody, encodeEntry } from './entry-codec.js';
import type { EntryCheck } from './entry-codec.js';
import { CacheClosedError, InvalidArgumentError } from './errors.js';
import { readFailure, writeFailure } from './lmdb-failure.js';
import { openDatabases } from './lmdb-environment.js';
import { assertSoundEnvironment } from './sound-environment.js';
import { emptyStats, readLifetime, tallyHeaders } from './cache-stats.js';
import type { CacheStats, SessionCounters } from './cache-stats.js';
import { keyString, validateTensor } from './validate.js';

/** A row-major float tensor. */
export interface FeatureTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A tensor read from the cache (always float32 values, whatever the storage dtype). */
export interface CachedTensor extends FeatureTensor {
  readonly dtype: StorageDtype;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** One write: the key (a FeatureKey brings its ingredients and dtype), the tensor, the storage dtype. */
export interface CacheWrite {
  readonly key: string | FeatureKey;
  readonly tensor: FeatureTensor;
  /** Defaults to the FeatureKey's recipe dtype, else float32. */
  readonly dtype?: StorageDtype;
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface FeatureCacheOptions {
  /** Open for reading only; the cache must exist. Default false (created when missing). */
  readonly readOnly?: boolean;
  /** Skip fsync (faster, for scratch caches; an OS crash may then lose recent writes). Default false. */
  readonly noSync?: boolean;
  /**
   * Also walk the LMDB trees in a child process before opening (lmdb-probe.ts), so a damaged page
   * fails here with E_CACHE_DAMAGED instead of killing this process later. Costs a process start
   * and a read of the tree pages (not the tensors). Default false: the meta pages are always checked.
   */
  readonly probe?: boolean;
  /**
   * More caches to look keys up in, in order, when this one has no valid entry (shards built by
   * `kvc cache --shard`). They are opened read-only and never written; stats are this cache's only.
   */
  readonly readThrough?: readonly string[];
}

/** One entry's stored bytes, as `rawEntry` reads them and `putRaw` writes them (bit for bit). */
export interface RawEntry {
  readonly key: string;
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

const LIFETIME = 'lifetime-counters';

/** A feature cache opened on a directory (LMDB `data.mdb` + `lock.mdb` inside). */
export class FeatureCache {
  private closed = false;
  private readonly counters: SessionCounters = { hits: 0, misses: 0, invalid: 0, writes: 0 };

  private constructor(
    /** Absolute path of the cache directory. */
    readonly path: string,
    readonly readOnly: boolean,
    private readonly root: RootDatabase,
    private readonly info: Database<string, string>,
    private readonly meta: Database<Uint8Array, string>,
    private readonly data: Database<Uint8Array, string>,
    private readonly fallbacks: readonly FeatureCache[] = [],
  ) {}

  /** Opens (or, unless read-only, creates) the cache at `path`. */
  static async open(path: string, options: FeatureCacheOptions = {}): Promise<FeatureCache> {
    const abs = resolve(path);
    const readOnly = options.readOnly ?? false;
    const probe = options.probe ?? false;
    await assertSoundEnvironment(abs, { readOnly, probe });
    const fallbacks: FeatureCache[] = [];
    try {
      for (const p of options.readThrough ?? []) fallbacks.push(await FeatureCache.open(p, { readOnly: true, probe }));
      const { root, info, meta, data } = await openDatabases(abs, { readOnly, noSync: options.noSync ?? false });
      return new FeatureCache(abs, readOnly, root, info, meta, data, fallbacks);
    } catch (err) {
      for (const f of fallbacks) await f.close().catch(() => undefined);
      throw err;
    }
  }

  /** Checks the entry under `key` without decoding it (no hit/miss counted). */
  check(key: string | FeatureKey): EntryCheck {
    this.assertOpen();
    const k = keyString(key);
    const raw = this.rawEntry(k);
    const own = checkEntry(k, raw?.header, raw?.body);
    if (own.ok) return own;
    for (const f of this.fallbacks) {
      const c = f.check(k);
      if (c.ok) return c;
    }
    return own;
  }

  /** The stored bytes under `key` in this cache (not its read-through caches), unchecked; undefined when absent. */
  rawEntry(key: string): RawEntry | undefined {
    this.assertOpen();
    try {
      // One read transaction: header and data come from the same snapshot even while another process writes.
      const txn = this.root.useReadTransaction();
      try {
        const header = this.meta.get(key, { transaction: txn });
        const body = this.data.get(key, { transaction: txn });
        return header === undefined || body === undefined ? undefined : { key, header, body };
      } finally {
        txn.done();
      }
    } catch (err) {
      throw readFailure(this.path, err);
    }
  }

  /** Every key with a header in this cache (not its read-through caches), in key order. */
  *keys(): Generator<string> {
    this.assertOpen();
    try {
      for (const k of this.meta.getKeys()) yield k;
    } catch (err) {
      throw readFailure(this.path, err);
    }
  }

  /**
   * Stores entries as they were read by {@link rawEntry} (from another cache: a merge), bit for bit,
   * in one transaction. Each must pass its integrity check, so damage is never copied.
   */
  async putRaw(entries: readonly RawEntry[]): Promise<void> {
    this.assertWritable();
    for (const e of entries) {
      const c = checkEntry(keyString(e.key), e.header, e.body);
      if (!c.ok)
        throw new InvalidArgumentError(`entry ${e.key} fails its integrity check (${c.reason})`, { key: e.key });
    }
    await this.commit(() => {
      for (const e of entries) {
        this.data.putSync(e.key, e.body);
        this.meta.putSync(e.key, e.header);
      }
    });
    this.counters.writes += entries.length;
  }

  /**
   * The tensor under `key`, or undefined when absent or failing its integrity check: a lookup,
   * counted as a hit or a miss in the stats.
   */
  get(key: string | FeatureKey): CachedTensor | undefined {
    const c = this.check(key);
    if (!c.ok) {
      this.counters.misses++;
      if (c.reason !== 'missing') this.counters.invalid++;
      return undefined;
    }
    this.counters.hits++;
    return decoded(c);
  }

  /**
   * Like {@link get}, but not counted: for re-reading entries a lookup already found (a trainer
   * reading its batches every epoch), which would otherwise swamp the hit rate with "hits" on
   * features that were encoded in the same run.
   */
  read(key: string | FeatureKey): CachedTensor | undefined {
    const c = this.check(key);
    return c.ok ? decoded(c) : undefined;
  }

  /** Whether a valid entry is stored under `key` (integrity checked; not counted in the hit rate). */
  has(key: string | FeatureKey): boolean {
    return this.check(key).ok;
  }

  /** Stores one tensor (atomically: header and data in one transaction). */
  put(
    key: string | FeatureKey,
    tensor: FeatureTensor,
    options: { dtype?: StorageDtype; meta?: Readonly<Record<string, unknown>> } = {},
  ): Promise<void> {
    return this.putMany([{ key, tensor, ...options }]);
  }

  /** Stores several tensors in one transaction: all become visible together, or none. */
  async putMany(writes: readonly CacheWrite[]): Promise<void> {
    this.assertWritable();
    const encoded = writes.map((w) => {
      const k = keyString(w.key);
      const recipeDtype = typeof w.key === 'string' ? undefined : w.key.ingredients.recipe.dtype;
      if (w.dtype && recipeDtype && w.dtype !== recipeDtype) {
        throw new InvalidArgumentError(`dtype ${w.dtype} differs from the key's recipe dtype ${recipeDtype}`, {
          key: k,
        });
      }
      validateTensor(k, w.tensor);
      const meta = w.meta ?? (typeof w.key === 'string' ? undefined : { ingredients: w.key.ingredients });
      return { k, ...encodeEntry(k, w.tensor.data, w.tensor.shape, w.dtype ?? recipeDtype ?? 'float32', meta) };
    });
    await this.commit(() => {
      for (const e of encoded) {
        this.data.putSync(e.k, e.body);
        this.meta.putSync(e.k, e.header);
      }
    });
    this.counters.writes += encoded.length;
  }

  /** Removes the entry under `key`; resolves to whether there was one. */
  async delete(key: string | FeatureKey): Promise<boolean> {
    this.assertWritable();
    const k = keyString(key);
    return this.commit(() => {
      const had = this.meta.get(k) !== undefined || this.data.get(k) !== undefined;
      this.meta.removeSync(k);
      this.data.removeSync(k);
      return had;
    });
  }

  /** Entries, bytes, dtype breakdown (from the headers) and this session's hit rate. */
  stats(): CacheStats {
    this.assertOpen();
    try {
      const s = emptyStats(this.path, this.counters, readLifetime(this.info.get(LIFETIME)));
      return tallyHeaders(
        s,
        this.meta.getRange().map(({ value }) => value),
      );
    } catch (err) {
      throw readFailure(this.path, err);
    }
  }

  /**
   * Moves this reader to the latest committed snapshot now, e.g. right after another process said it
   * wrote (lmdb renews the snapshot by itself on the next event turn).
   */
  refresh(): void {
    this.assertOpen();
    this.root.resetReadTxn();
  }

  /** Closes the environment; further calls fail with E_CACHE_CLOSED. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = this.counters;
    try {
      if (!this.readOnly && c.hits + c.misses + c.writes > 0) {
        // Fold this session into the lifetime counters (read-modify-write in one transaction, so two
        // writer processes closing together both count).
        await this.commit(() => {
          const l = readLifetime(this.info.get(LIFETIME));
          const sum = {
            hits: l.hits + c.hits,
            misses: l.misses + c.misses,
            invalid: l.invalid + c.invalid,
            writes: l.writes + c.writes,
          };
          this.info.putSync(LIFETIME, JSON.stringify(sum));
        });
      }
    } finally {
      // Closed even when the counters could not be written (a full disk): the environment is released.
      for (const f of this.fallbacks) await f.close();
      await this.root.close();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * One write transaction; an LMDB failure (disk full, I/O error) becomes E_WRITE_FAILED naming the
   * cache. Synchronous: lmdb-js's async commit reports a failure by printing it and rejecting promises
   * nobody holds (an unhandled rejection kills the process); the sync commit just throws.
   */
  private async commit<T>(body: () => T): Promise<T> {
    try {
      return this.root.transactionSync(body);
    } catch (err) {
      throw writeFailure(this.path, err);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new CacheClosedError(this.path);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly)
      throw new InvalidArgumentError(
        'the feature cache was opened read-only',
        { path: this.path },
        'open it without readOnly to write',
      );
  }
}

function decoded({ header, body }: Extract<EntryCheck, { ok: true }>): CachedTensor {
  return {
    data: decodeBody(header, body),
    shape: [...header.shape],
    dtype: header.dtype,
    ...(header.meta ? { meta: header.meta } : {}),
  };
}
