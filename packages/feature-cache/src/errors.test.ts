import { describe, expect, it } from 'vitest';
import { KvcError } from '@kvc/errors';
import { CacheClosedError, EncodeError, FeatureCacheError, InvalidArgumentError } from './errors.js';

describe('feature-cache errors', () => {
  it('derive from the one KvcError base: frozen context (it was mutable here), hint, cause, instanceof', () => {
    const closed = new CacheClosedError('/cache');
    expect(closed).toBeInstanceOf(FeatureCacheError);
    expect(closed).toBeInstanceOf(KvcError);
    expect(closed).toMatchObject({ name: 'CacheClosedError', code: 'E_CACHE_CLOSED', context: { path: '/cache' } });
    expect(Object.isFrozen(closed.context)).toBe(true);
    const root = new Error('disk full');
    const enc = new EncodeError('E_CACHE_WRITE', 'cannot store', { batchIndex: 0 }, undefined, { cause: root });
    expect(enc.cause).toBe(root);
    const bad = new InvalidArgumentError('keyOf failed', {}, undefined, { cause: root });
    expect(bad).toMatchObject({ code: 'E_INVALID_ARGUMENT', cause: root });
  });
});
