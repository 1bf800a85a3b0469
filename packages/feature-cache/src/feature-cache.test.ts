import { afterEach, describe, expect, it } from 'vitest';
import { open } from 'lmdb';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureCache } from './feature-cache.js';
import { float16RoundingBound } from './float16.js';
import { FeatureCacheError } from './errors.js';
import { randomTensor, tempDir } from './__tests__/test-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freshCache(): Promise<{ cache: FeatureCache; dir: string }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const cache = await FeatureCache.open(join(t.dir, 'cache'));
  cleanups.push(() => cache.close());
  return { cache, dir: join(t.dir, 'cache') };
}

/** Rewrites one stored value directly through lmdb, bypassing FeatureCache (the cache must be closed). */
async function tamper(
  dir: string,
  db: 'data' | 'meta',
  key: string,
  edit: (bytes: Buffer) => Uint8Array,
): Promise<void> {
  const root = open(dir, { maxDbs: 4 });
  const d = root.openDB<Uint8Array, string>(db, { encoding: 'binary' });
  const bytes = d.get(key);
  if (!bytes) throw new Error(`no ${db} value under ${key}`);
  await d.put(key, edit(Buffer.from(bytes)));
  await root.close();
}

describe('FeatureCache roundtrip', () => {
  it('float32 is bit-exact (including -0, inf, NaN, subnormals) and keeps the shape', async () => {
    const { cache } = await freshCache();
    const t = randomTensor([3, 5, 7], 7);
    t.data.set([-0, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38], 0);
    await cache.put('k', t);
    const got = cache.get('k');
    expect(got?.shape).toEqual([3, 5, 7]);
    expect(got?.dtype).toBe('float32');
    expect(Buffer.from(got!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
  });

  it('float16 is within the half-rounding bound of every element and stores half the bytes', async () => {
    const { cache } = await freshCache();
    const t = randomTensor([4, 64], 3);
    await cache.put('h', t, { dtype: 'float16' });
    await cache.put('f', t);
    const got = cache.get('h')!;
    expect(got.dtype).toBe('float16');
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i]!;
      expect(Math.abs(x - got.data[i]!), `element ${i} (${x})`).toBeLessThanOrEqual(float16RoundingBound(x));
    }
    const s = cache.stats();
    expect(s.byDtype.float16.bytes * 2).toBe(s.byDtype.float32.bytes);
  });

  it('has/delete/put under a FeatureKey-less string key; a fresh open sees what was written', async () => {
    const { cache, dir } = await freshCache();
    expect(cache.has('x')).toBe(false);
    await cache.put('x', randomTensor([2, 2]));
    expect(cache.has('x')).toBe(true);
    expect(await cache.delete('x')).toBe(true);
    expect(cache.has('x')).toBe(false);
    await cache.put('y', randomTensor([2, 3]));
    await cache.close();
    const again = await FeatureCache.open(dir, { readOnly: true });
    expect(again.get('y')?.shape).toEqual([2, 3]);
    await again.close();
  });

  it('rejects bad tensors at the boundary and calls after close', async () => {
    const { cache } = await freshCache();
    await expect(cache.put('k', { data: new Float32Array(5), shape: [2, 3] })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
    await cache.close();
    expect(() => cache.get('k')).toThrow(expect.objectContaining({ code: 'E_CACHE_CLOSED' }));
  });

  it('a missing cache opened read-only is a clear error with a hint', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const err = await FeatureCache.open(join(t.dir, 'nope'), { readOnly: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeatureCacheError);
    expect(err).toMatchObject({ code: 'E_CACHE_NOT_FOUND', hint: expect.stringContaining('kvc cache') });
    expect(existsSync(join(t.dir, 'nope'))).toBe(false);
  });
});

describe('FeatureCache integrity: a damaged entry is a miss, never returned', () => {
  const cases: [string, 'data' | 'meta', (b: Buffer) => Uint8Array, string][] = [
    ['a flipped byte in the data', 'data', (b) => ((b[10] = b[10]! ^ 0x40), b), 'checksum-mismatch'],
    ['truncated data (wrong length)', 'data', (b) => b.subarray(0, b.length - 4), 'length-mismatch'],
    ['extra data (wrong length)', 'data', (b) => Buffer.concat([b, Buffer.alloc(4)]), 'length-mismatch'],
    ['garbage header', 'meta', () => Buffer.from([0xc1, 0xc1, 0xc1]), 'header-unreadable'],
  ];
  it.each(cases)('%s', async (_name, db, edit, reason) => {
    const { cache, dir } = await freshCache();
    await cache.put('k', randomTensor([4, 8]));
    await cache.put('other', randomTensor([4, 8], 2));
    await cache.close();
    await tamper(dir, db, 'k', edit);
    const c = await FeatureCache.open(dir);
    cleanups.push(() => c.close());
    expect(c.check('k')).toMatchObject({ ok: false, reason });
    expect(c.get('k')).toBeUndefined();
    expect(c.has('k')).toBe(false);
    expect(c.get('other')).toBeDefined();
    expect(c.stats().session).toMatchObject({ hits: 1, misses: 1, invalid: 1 });
    // Recomputing overwrites the damaged entry.
    await c.put('k', randomTensor([4, 8]));
    expect(c.get('k')?.shape).toEqual([4, 8]);
  });

  it.each([
    ['a shape whose size disagrees with the byte length', [4, 9], 'shape-mismatch'],
    ['a shape with the same size (caught by the checksum over the shape)', [8, 4], 'checksum-mismatch'],
  ] as const)('header with %s', async (_name, shape, reason) => {
    const { cache, dir } = await freshCache();
    await cache.put('k', randomTensor([4, 8]));
    await cache.close();
    const { Packr } = await import('msgpackr');
    const packr = new Packr({ useRecords: false });
    await tamper(dir, 'meta', 'k', (b) => packr.pack({ ...(packr.unpack(b) as object), shape }));
    const c = await FeatureCache.open(dir);
    cleanups.push(() => c.close());
    expect(c.check('k')).toMatchObject({ ok: false, reason });
    expect(c.get('k')).toBeUndefined();
  });

  it('data stored under another key is detected (the checksum covers the key)', async () => {
    const { cache, dir } = await freshCache();
    await cache.put('a', randomTensor([4, 8], 1));
    await cache.put('b', randomTensor([4, 8], 2));
    await cache.close();
    const root = open(dir, { maxDbs: 4 });
    const d = root.openDB<Uint8Array, string>('data', { encoding: 'binary' });
    await d.put('a', Buffer.from(d.get('b')!));
    await root.close();
    const c = await FeatureCache.open(dir);
    cleanups.push(() => c.close());
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBeDefined();
  });
});

describe('FeatureCache.stats', () => {
  it('counts entries, bytes, dtypes and the session hit rate', async () => {
    const { cache } = await freshCache();
    expect(cache.stats().session.hitRate).toBeNull();
    await cache.putMany([
      { key: 'a', tensor: randomTensor([2, 3]) },
      { key: 'b', tensor: randomTensor([2, 3]), dtype: 'float16' },
      { key: 'c', tensor: randomTensor([5]), dtype: 'float16' },
    ]);
    cache.get('a');
    cache.get('a');
    cache.get('b');
    cache.get('zzz');
    const s = cache.stats();
    expect(s).toMatchObject({
      entries: 3,
      bytes: 6 * 4 + 6 * 2 + 5 * 2,
      byDtype: { float32: { entries: 1, bytes: 24 }, float16: { entries: 2, bytes: 22 } },
      session: { hits: 3, misses: 1, writes: 3, hitRate: 0.75 },
    });
    expect(s.fileBytes).toBeGreaterThan(0);
  });

  it('keeps lifetime counters across sessions (saved by writable opens on close)', async () => {
    const { cache, dir } = await freshCache();
    await cache.put('a', randomTensor([2]));
    cache.get('a');
    cache.get('b');
    await cache.close();
    const again = await FeatureCache.open(dir);
    again.get('a');
    expect(again.stats().lifetime).toMatchObject({ hits: 2, misses: 1, writes: 1 });
    expect(again.stats().lifetime.hitRate).toBeCloseTo(2 / 3, 12);
    expect(again.stats().session).toMatchObject({ hits: 1, misses: 0, writes: 0 });
    await again.close();
    const ro = await FeatureCache.open(dir, { readOnly: true });
    expect(ro.stats().lifetime).toMatchObject({ hits: 2, misses: 1, writes: 1 });
    expect(ro.stats().session).toMatchObject({ hits: 0, misses: 0 });
    await ro.close();
  });

  it('read() returns what get() does without counting a lookup (a trainer re-reading its batches)', async () => {
    const { cache } = await freshCache();
    const t = randomTensor([3, 2]);
    await cache.put('a', t);
    const got = cache.get('a')!;
    for (let epoch = 0; epoch < 3; epoch++) expect(cache.read('a')).toEqual(got);
    expect(cache.read('missing')).toBeUndefined();
    expect(cache.stats().session).toMatchObject({ hits: 1, misses: 0, writes: 1 });
    await cache.close();
  });
});
