/**
 * @kvc/feature-cache: an LMDB store of vision feature tensors, its cache keys, and the cacheFeatures operator
 * (decode misses, batch them for the encoder, write, emit in order, bounded memory) with cacheThrough on top.
 */
export { FeatureCache } from './feature-cache.js';
export type { FeatureTensor, CachedTensor, CacheWrite, FeatureCacheOptions, RawEntry } from './feature-cache.js';
export { shardOfKey, shardCacheDir, cacheShard, parseShard, shardFromEnv } from './cache-shard.js';
export type { CacheShard } from './cache-shard.js';
export { writeShardManifest, readShardManifest, SHARD_MANIFEST } from './shard-manifest.js';
export type { ShardManifest } from './shard-manifest.js';
export { mergeCaches } from './merge-caches.js';
export type { MergeOptions, MergeReport, MergedShard } from './merge-caches.js';
export { checkLmdbFile } from './lmdb-header.js';
export type { LmdbFileCheck, LmdbFileProblem } from './lmdb-header.js';
export type { CacheStats, SessionCounters } from './cache-stats.js';
export { featureKey } from './cache-key.js';
export type { FeatureKey, FeatureRecipe, KeyIngredients, StorageDtype } from './cache-key.js';
export { videoIdentity } from './video-identity.js';
export type { VideoIdentity, IdentityMode } from './video-identity.js';
export { canonicalJson } from './canonical-json.js';
export type { EntryCheck, EntryHeader, InvalidReason } from './entry-codec.js';
export {
  float32ToFloat16Bits,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float16ToFloat32Array,
  float16RoundingBound,
  FLOAT16_MAX,
  FLOAT16_MIN_NORMAL,
  FLOAT16_MIN_SUBNORMAL,
} from './float16.js';
export { crc32 } from './crc32.js';
export { FeatureCacheError, CacheOpenError, CacheClosedError, InvalidArgumentError, EncodeError } from './errors.js';
export { cacheFeatures } from './operators/cache-features.js';
export type { CacheFeaturesOptions } from './operators/cache-features.js';
export type { CachedFeatures, SkippedItem, FeatureResult } from './operators/feature-result.js';
export { cacheThrough } from './operators/cache-through.js';
export type { CacheThroughOptions } from './operators/cache-through.js';
export type { BatchEncoder } from './operators/encode-and-store.js';
export { withFeatureCache } from './with-feature-cache.js';
