/**
 * cacheThrough: `cacheFeatures` for items that need no decoding (the item is what `encode` takes):
 * features from the cache where valid, else from `encode`, which receives misses batched across
 * items; results are written before they are emitted, in input order.
 */
import { type OperatorFunction, filter, pipe } from 'rxjs';
import type { FeatureKey, StorageDtype } from '../cache-key.js';
import type { FeatureCache } from '../feature-cache.js';
import { cacheFeatures } from './cache-features.js';
import type { CachedFeatures, FeatureResult } from './feature-result.js';
import type { BatchEncoder } from './encode-and-store.js';

export interface CacheThroughOptions<T> {
  readonly cache: FeatureCache;
  /** The item's cache key; a FeatureKey also fixes the storage dtype and is stored as metadata. */
  readonly keyOf: (item: T) => string | FeatureKey;
  /** Misses per `encode` call (the last batch may be smaller). Default 8. */
  readonly batchSize?: number;
  /** Storage dtype for string keys. Default float32. */
  readonly dtype?: StorageDtype;
}

/** See the module comment and `cacheFeatures`. Errors (source, keyOf, encode, the cache) end the stream. */
export function cacheThrough<T>(
  encode: BatchEncoder<T>,
  options: CacheThroughOptions<T>,
): OperatorFunction<T, CachedFeatures<T>> {
  return pipe(
    // The item is its own decoded form, so nothing is ever skipped.
    cacheFeatures<T, T>({ ...options, encode, decode: (item) => [item] }),
    filter((r: FeatureResult<T>): r is CachedFeatures<T> => r.source !== 'skipped'),
  );
}
