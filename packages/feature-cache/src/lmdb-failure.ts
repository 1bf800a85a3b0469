/**
 * LMDB failures as feature-cache errors naming the cache. lmdb-js throws bare messages
 * ("MDB_PAGE_NOTFOUND: Requested page not found", "Commit failed ... Input/output error") that say
 * neither which cache nor what to do; every LMDB call of FeatureCache goes through these.
 */
import { KvcError, STORAGE_ERRNO_HINTS } from '@kvc/errors';
import { CacheOpenError, FeatureCacheError } from './errors.js';

/** What to do about a damaged cache at `path`. */
export function rebuildHint(path: string): string {
  return (
    `the cache is damaged: remove ${path} and rerun \`kvc cache\` (or your command) to rebuild it, ` +
    'or restore a good copy'
  );
}

/** `E_CACHE_DAMAGED`: the cache at `path` cannot be read (`detail` says what is wrong). */
export function damagedCache(path: string, detail: string, cause?: unknown): CacheOpenError {
  return new CacheOpenError(
    'E_CACHE_DAMAGED',
    `the feature cache at ${path} is damaged: ${detail}`,
    { path },
    rebuildHint(path),
    cause === undefined ? undefined : { cause },
  );
}

/** A failed LMDB read as `E_CACHE_DAMAGED`; kvc errors pass through unchanged. */
export function readFailure(path: string, err: unknown): Error {
  if (err instanceof KvcError) return err;
  return damagedCache(path, `reading it failed (${messageOf(err)})`, err);
}

// lmdb-js puts strerror() text in its messages, not the errno code: map the text back.
const ERRNO_TEXT: readonly [RegExp, string][] = [
  [/no space left/i, 'ENOSPC'],
  [/quota exceeded/i, 'EDQUOT'],
  [/permission denied/i, 'EACCES'],
  [/operation not permitted/i, 'EPERM'],
  [/read-only file system/i, 'EROFS'],
];

/** A failed LMDB write (commit, map resize) as `E_WRITE_FAILED` naming the cache; kvc errors pass through. */
export function writeFailure(path: string, err: unknown): Error {
  if (err instanceof KvcError) return err;
  const message = messageOf(err);
  const errno = (err as NodeJS.ErrnoException)?.code ?? ERRNO_TEXT.find(([re]) => re.test(message))?.[1];
  const hint =
    (errno && STORAGE_ERRNO_HINTS[errno]) ??
    `check the disk under ${path} (space, permissions, I/O errors in the system log), then rerun`;
  return new FeatureCacheError(
    'E_WRITE_FAILED',
    `cannot write the feature cache at ${path}: ${message}`,
    { path, ...(errno ? { errno } : {}) },
    hint,
    { cause: err },
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
