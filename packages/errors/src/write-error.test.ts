import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { KvcError } from './kvc-error.js';
import { STORAGE_ERRNO_HINTS, wrapWriteError } from './write-error.js';

class PackageError extends KvcError {}

describe('wrapWriteError', () => {
  it.skipIf(!existsSync('/dev/full'))('names the path of a write that hit a full disk (/dev/full)', async () => {
    const raw = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    expect((raw as Error).message).not.toContain('/dev/full'); // what Node says by itself
    const err = wrapWriteError(raw, '/dev/full', PackageError);
    expect(err).toBeInstanceOf(PackageError);
    expect(err).toMatchObject({
      code: 'E_WRITE_FAILED',
      context: { file: '/dev/full', errno: 'ENOSPC' },
      hint: STORAGE_ERRNO_HINTS.ENOSPC,
      cause: raw,
    });
    expect((err as Error).message).toContain('/dev/full');
  });

  it('wraps each storage errno and passes anything else through unchanged', () => {
    for (const code of Object.keys(STORAGE_ERRNO_HINTS)) {
      const e = Object.assign(new Error(`${code}: failed, write`), { code });
      expect(wrapWriteError(e, '/x/y', PackageError), code).toMatchObject({ code: 'E_WRITE_FAILED' });
    }
    const other = Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    expect(wrapWriteError(other, '/x', PackageError)).toBe(other);
    expect(wrapWriteError('text', '/x', PackageError)).toBe('text');
    expect(wrapWriteError(undefined, '/x', PackageError)).toBeUndefined();
  });
});
