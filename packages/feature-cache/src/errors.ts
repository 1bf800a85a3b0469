/**
 * Errors of @kvc/feature-cache. Each has a stable `code`, a readonly `context` (cache path, key,
 * reason, ...) and, where we know one, a `hint` saying what to do about it. The CLI prints them as
 * `[code] message`, then each context entry, then the hint.
 */
export class FeatureCacheError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly hint: string | undefined;
  constructor(code: string, message: string, context: Record<string, unknown> = {}, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
    this.hint = hint;
  }
}

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
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string) {
    super('E_INVALID_ARGUMENT', message, context, hint);
  }
}

/** The `encode` function of `cacheThrough` failed or returned something unusable. */
export class EncodeError extends FeatureCacheError {}
