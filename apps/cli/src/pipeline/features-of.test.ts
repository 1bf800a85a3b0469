/**
 * featuresOf re-reads entries the feature step already looked up: it must not count them again,
 * or a run that encoded everything would report a high hit rate in `kvc cache-stats`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '@kvc/feature-cache';
import { featuresOf } from './features-of.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('featuresOf', () => {
  it('returns the entry without counting a lookup, and names a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvc-features-of-'));
    dirs.push(dir);
    const cache = await FeatureCache.open(join(dir, 'cache'));
    try {
      const data = Float32Array.from({ length: 6 }, (_, i) => i / 7);
      await cache.put('k', { data, shape: [2, 3] }, { dtype: 'float32' });
      for (let epoch = 0; epoch < 3; epoch++) expect(featuresOf(cache, 'k', 'v1')).toEqual({ data, shape: [2, 3] });
      expect(cache.stats().session).toMatchObject({ hits: 0, misses: 0, writes: 1 });
      expect(() => featuresOf(cache, 'gone', 'v2')).toThrow(expect.objectContaining({ code: 'E_FEATURES_MISSING' }));
    } finally {
      await cache.close();
    }
  });
});
