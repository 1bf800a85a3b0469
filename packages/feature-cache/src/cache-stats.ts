/** The statistics a feature cache reports (`FeatureCache.stats()`, `kvc cache-stats`). */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { StorageDtype } from './cache-key.js';
import { decodeHeader } from './entry-codec.js';

/**
 * Hit/miss/write counts of one opened cache (this process, since open). Hits and misses count
 * lookups (`get`, one per item in `cacheFeatures`); `read` and `has` are not lookups.
 */
export interface SessionCounters {
  hits: number;
  misses: number;
  /** Misses caused by entries failing their integrity check (subset of misses). */
  invalid: number;
  writes: number;
}

export interface CacheStats {
  readonly path: string;
  /** Valid-looking entries (by header). */
  entries: number;
  /** Tensor bytes stored (sum of byte lengths; headers not counted). */
  bytes: number;
  /** Size of data.mdb on disk (LMDB keeps freed pages, so this may exceed `bytes`). */
  fileBytes: number;
  /** Headers that could not be decoded (their entries read as misses). */
  unreadableHeaders: number;
  byDtype: Record<StorageDtype, { entries: number; bytes: number }>;
  /** This session: hits, misses, invalid, writes, and hitRate = hits / (hits + misses), null before any lookup. */
  session: Readonly<SessionCounters> & { readonly hitRate: number | null };
  /**
   * All earlier sessions that wrote or looked up through a writable open (saved on close), plus this
   * one. A read-only open (an inspector such as `kvc cache-stats`) records nothing: read this, not `session`.
   */
  lifetime: Readonly<SessionCounters> & { readonly hitRate: number | null };
}

const withRate = (c: Readonly<SessionCounters>) => {
  const lookups = c.hits + c.misses;
  return { ...c, hitRate: lookups === 0 ? null : c.hits / lookups };
};

/** Zeroed stats carrying a snapshot of the session counters. */
export function emptyStats(path: string, c: Readonly<SessionCounters>, earlier: Readonly<SessionCounters>): CacheStats {
  return {
    path,
    entries: 0,
    bytes: 0,
    fileBytes: 0,
    unreadableHeaders: 0,
    byDtype: { float32: { entries: 0, bytes: 0 }, float16: { entries: 0, bytes: 0 } },
    session: withRate(c),
    lifetime: withRate({
      hits: earlier.hits + c.hits,
      misses: earlier.misses + c.misses,
      invalid: earlier.invalid + c.invalid,
      writes: earlier.writes + c.writes,
    }),
  };
}

/** Parses the saved lifetime counters; a damaged record reads as zeros. */
export function readLifetime(json: string | undefined): SessionCounters {
  const zero = { hits: 0, misses: 0, invalid: 0, writes: 0 };
  if (!json) return zero;
  try {
    const x = JSON.parse(json) as Partial<SessionCounters>;
    const n = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : 0);
    return { hits: n(x.hits), misses: n(x.misses), invalid: n(x.invalid), writes: n(x.writes) };
  } catch {
    return zero; // counters are informational: a damaged record must not stop the cache opening
  }
}

/** Adds every entry header in `headers` to `s` (entries, bytes, by dtype), and the size of data.mdb. */
export function tallyHeaders(s: CacheStats, headers: Iterable<Uint8Array>): CacheStats {
  for (const value of headers) {
    const h = decodeHeader(value);
    if (!h) {
      s.unreadableHeaders++;
      continue;
    }
    s.entries++;
    s.bytes += h.byteLength;
    const d = s.byDtype[h.dtype];
    d.entries++;
    d.bytes += h.byteLength;
  }
  try {
    s.fileBytes = statSync(join(s.path, 'data.mdb')).size;
  } catch {
    // a cache opened in memory or removed under us: leave fileBytes at 0
  }
  return s;
}
