/**
 * Storage errors named with the file they hit. A failed `write(2)` carries no path (Node's message
 * is "ENOSPC: no space left on device, write"), so a full disk during a long run said nothing about
 * where. Every package wraps its writes with {@link wrapWriteError} and its own error class.
 */
import type { KvcError, KvcErrorOptions } from './kvc-error.js';

/** The errno codes that mean "this place cannot be written", with what to do about each. */
export const STORAGE_ERRNO_HINTS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full: free some space or write somewhere else',
  EDQUOT: 'the disk quota is used up: free some space or write somewhere else',
  EACCES: 'no permission to write there: choose a folder you can write to',
  EPERM: 'the operation is not permitted there: choose a folder you can write to',
  EROFS: 'the file system is read-only: write somewhere else',
};

/** A package error class (every KvcError subclass has this constructor). */
export type KvcErrorClass = new (
  code: string,
  message: string,
  context?: Record<string, unknown>,
  hint?: string,
  options?: KvcErrorOptions,
) => KvcError;

/**
 * `err` as an `E_WRITE_FAILED` error of `ErrorClass` naming `path` when it is a storage error
 * (disk full, quota, permission, read-only file system); any other value comes back unchanged.
 * Use as `catch (err) { throw wrapWriteError(err, file, VideoIoError); }`.
 */
export function wrapWriteError(err: unknown, path: string, ErrorClass: KvcErrorClass): unknown {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno !== 'string' || !(errno in STORAGE_ERRNO_HINTS)) return err;
  return new ErrorClass(
    'E_WRITE_FAILED',
    `cannot write ${path}: ${(err as Error).message}`,
    { file: path, errno },
    STORAGE_ERRNO_HINTS[errno],
    { cause: err },
  );
}
