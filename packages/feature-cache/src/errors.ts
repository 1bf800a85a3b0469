/**
 * Errors of @kvc/feature-cache. Each has a stable `code`, a frozen `context` (cache path, key,
 * reason, ...), where we know one a `hint` saying what to do about it, and optionally a `cause`.
 * The CLI prints them as `[code] message`, then each context entry, the hint and the causes.
 */
import { KvcError, type KvcErrorOptions } from '@kvc/errors';

/** Base class of every error raised by `@kvc/feature-cache` (see {@link KvcError}). */
export class FeatureCacheError extends KvcError {}

/** The cache directory does not exist (opened read-only) or could not be opened. */
export class CacheOpenError extends FeatureCacheError {}

/** A call on a cache after `close()`. */
export class CacheClosedError extends FeatureCacheError {
  constructor(path: string) {
    super('E_CACHE_CLOSED', 'the feature cache is closed', { path }, 'open it again with FeatureCache.open(path)');
  }
}

/** Invalid arguments at the public boundary (bad shape, dtype, key ingredients, options). */
export class InvalidArgumentError extends FeatureCacheError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string, options?: KvcErrorOptions) {
    super('E_INVALID_ARGUMENT', message, context, hint, options);
  }
}

/** The `encode` function of `cacheFeatures`/`cacheThrough` failed, returned something unusable, or could not be stored. */
export class EncodeError extends FeatureCacheError {}
