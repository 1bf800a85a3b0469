import { describe, expect, it } from 'vitest';
import { KvcError } from '@kvc/errors';
import { FeatureCacheError } from '@kvc/feature-cache';
import { VideoIoError } from '@kvc/video-io';
import { CliError, formatError, toPrintableError } from './cli-error.js';

describe('CLI errors', () => {
  it('CliError is a KvcError with a frozen context', () => {
    const e = new CliError('E_BAD_ARGUMENT', '--n must be a positive integer', { option: 'n' }, 'e.g. -n 8');
    expect(e).toBeInstanceOf(KvcError);
    expect(e).toMatchObject({ name: 'CliError', code: 'E_BAD_ARGUMENT', hint: 'e.g. -n 8' });
    expect(Object.isFrozen(e.context)).toBe(true);
    // @ts-expect-error E_BAD_OPTION was merged into E_BAD_ARGUMENT: the type rejects it.
    expect(new CliError('E_BAD_OPTION', 'x').code).toBe('E_BAD_OPTION');
  });

  it('prints the cause chain briefly, one line per link, root cause last', () => {
    const sys = Object.assign(new Error('ENOSPC: no space left on device\n    at write (node:fs)'), { code: 'ENOSPC' });
    const store = new FeatureCacheError('E_CACHE_WRITE', 'cannot store the batch', { path: '/c' }, undefined, {
      cause: sys,
    });
    const top = new VideoIoError('E_DECODE_FAILED', 'frames lost', { file: 'a.mp4' }, 'free some disk', {
      cause: store,
    });
    const p = toPrintableError(top);
    expect(p.causes).toEqual([
      { code: 'E_CACHE_WRITE', message: 'cannot store the batch' },
      { code: 'ENOSPC', message: 'ENOSPC: no space left on device\n    at write (node:fs)' },
    ]);
    expect(formatError('cache', p).split('\n')).toEqual([
      'kvc cache: error [E_DECODE_FAILED] frames lost',
      '  file: a.mp4',
      '  caused by: [E_CACHE_WRITE] cannot store the batch',
      '  caused by: [ENOSPC] ENOSPC: no space left on device',
      '  hint: free some disk',
    ]);
  });

  it('errors without a cause print no cause line, and non-errors still print', () => {
    const p = toPrintableError(new CliError('E_NO_EOS', 'no EOS'));
    expect(p).not.toHaveProperty('causes');
    expect(formatError('train', p)).toBe('kvc train: error [E_NO_EOS] no EOS');
    expect(formatError('x', toPrintableError('boom'))).toBe('kvc x: error [E_UNEXPECTED] boom');
  });
});
