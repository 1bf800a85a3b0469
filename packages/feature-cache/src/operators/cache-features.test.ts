import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY, type Observable, from, lastValueFrom, map, pipe, tap, timer, toArray } from 'rxjs';
import { join } from 'node:path';
import { FeatureCache } from '../feature-cache.js';
import type { FeatureTensor } from '../feature-cache.js';
import { cacheFeatures } from './cache-features.js';
import type { CacheFeaturesOptions } from './cache-features.js';
import { randomTensor, tempDir } from '../__tests__/test-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freshCache(): Promise<FeatureCache> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const cache = await FeatureCache.open(join(t.dir, 'cache'));
  cleanups.push(() => cache.close());
  return cache;
}

const featuresOf = (i: number): FeatureTensor => randomTensor([2, 3], i + 1);
const keyOf = (i: number) => `item-${i}`;
const run = <T>(o: Observable<T>) => lastValueFrom(o.pipe(toArray()));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A decoder whose "frames" for item i are {frames: i}, after `delayOf(i)` ms; counts what is alive. */
function countingPipeline(delayOf: (i: number) => number, encodeMs: number, failing: readonly number[] = []) {
  const s = { decodes: [] as number[], batches: [] as number[][], alive: 0, maxAlive: 0 };
  const decode = (i: number) => {
    s.decodes.push(i);
    s.alive++; // alive from the start of its decode until it is emitted
    s.maxAlive = Math.max(s.maxAlive, s.alive);
    return timer(delayOf(i)).pipe(
      map(() => {
        if (failing.includes(i)) throw Object.assign(new Error(`cannot decode ${i}`), { code: 'E_VIDEO_UNDECODABLE' });
        return { frames: i };
      }),
    );
  };
  const encode = (batch: readonly { frames: number }[]) => {
    s.batches.push(batch.map((b) => b.frames));
    return timer(encodeMs).pipe(map(() => batch.map((b) => featuresOf(b.frames))));
  };
  type Extra = Partial<CacheFeaturesOptions<number, { frames: number }>>;
  /** The operator under test, counting each emission as the end of its item's life. */
  const operator = (cache: FeatureCache, extra: Extra = {}) =>
    pipe(
      cacheFeatures({ cache, keyOf, decode, encode, ...extra }),
      tap(() => void s.alive--),
    );
  return { s, operator };
}

describe('cacheFeatures', () => {
  it('with a slow encoder at most maxInFlight decoded misses are ever alive, and all come out in order', async () => {
    const cache = await freshCache();
    const p = countingPipeline(() => 1, 15);
    const items = range(24);
    const out = await run(from(items).pipe(p.operator(cache, { batchSize: 3, maxInFlight: 5, decodeConcurrency: 2 })));
    expect(out.map((r) => [r.item, r.source])).toEqual(items.map((i) => [i, 'encoded']));
    expect(p.s.maxAlive).toBe(5); // the bound is reached (decoding outran the encoder) and never passed
    expect(p.s.batches.flat().sort((a, b) => a - b)).toEqual(items);
    expect(p.s.batches.every((b) => b.length <= 3)).toBe(true);
    expect(cache.stats().entries).toBe(24);
  });

  it('a slow first decode keeps the bound: encoded items wait for it without new decodes piling up', async () => {
    const cache = await freshCache();
    const p = countingPipeline((i) => (i === 0 ? 60 : 1), 2);
    const bounds = { batchSize: 2, maxInFlight: 4, decodeConcurrency: 3 };
    const out = await run(from(range(20)).pipe(p.operator(cache, bounds)));
    expect(out.map((r) => r.item)).toEqual(range(20));
    expect(p.s.maxAlive).toBeLessThanOrEqual(4);
  });

  it('N decodes in flight at once, never more; output and cache entries are those of a sequential run', async () => {
    const runWith = async (decodeConcurrency: number) => {
      const cache = await freshCache();
      await cache.put(keyOf(5), featuresOf(5)); // a hit among the misses
      let active = 0;
      let maxActive = 0;
      const decode = (i: number) => {
        maxActive = Math.max(maxActive, ++active);
        return timer((i * 7) % 5).pipe(map(() => (active--, { frames: i })));
      };
      const encode = (b: readonly { frames: number }[]) => timer(1).pipe(map(() => b.map((x) => featuresOf(x.frames))));
      const bounds = { batchSize: 4, decodeConcurrency, maxInFlight: 4 + decodeConcurrency };
      const out = await run(from(range(24)).pipe(cacheFeatures({ cache, keyOf, decode, encode, ...bounds })));
      const entries = range(24).map((i) => Array.from(cache.read(keyOf(i))!.data));
      return {
        maxActive,
        out: out.map((r) => [r.item, r.key, r.source, r.source !== 'skipped' && r.features]),
        entries,
      };
    };
    const sequential = await runWith(1);
    const parallel = await runWith(4);
    expect(sequential.maxActive).toBe(1);
    expect(parallel.maxActive).toBe(4);
    expect(parallel.out).toEqual(sequential.out);
    expect(parallel.entries).toEqual(sequential.entries);
  });

  it('a batch is written while the next one is encoded, with at most two writes pending', async () => {
    const cache = await freshCache();
    const putMany = cache.putMany.bind(cache);
    let writes = 0;
    let maxWrites = 0;
    let encodesDuringWrite = 0;
    cache.putMany = async (w) => {
      maxWrites = Math.max(maxWrites, ++writes);
      await new Promise((r) => setTimeout(r, 20)); // a slow disk
      await putMany(w);
      writes--;
    };
    const encode = (b: readonly number[]) => {
      if (writes > 0) encodesDuringWrite++;
      return Promise.resolve(b.map(featuresOf));
    };
    const decode = (i: number) => [i];
    const out = await run(from(range(16)).pipe(cacheFeatures({ cache, keyOf, decode, encode, batchSize: 2 })));
    expect(out.map((r) => r.item)).toEqual(range(16));
    expect(encodesDuringWrite).toBeGreaterThan(0);
    expect(maxWrites).toBeLessThanOrEqual(2);
    expect(range(16).every((i) => cache.has(keyOf(i)))).toBe(true);
  });

  it('decodes only misses; out-of-order decodes still give input order; hits come from the cache', async () => {
    const cache = await freshCache();
    const hits = [2, 3, 7, 11];
    for (const i of hits) await cache.put(keyOf(i), featuresOf(i));
    const p = countingPipeline((i) => (i * 7) % 5, 3);
    const out = await run(from(range(14)).pipe(p.operator(cache, { batchSize: 4 })));
    expect(out.map((r) => r.item)).toEqual(range(14));
    expect(out.map((r) => r.source)).toEqual(range(14).map((i) => (hits.includes(i) ? 'cache' : 'encoded')));
    expect([...p.s.decodes].sort((a, b) => a - b)).toEqual(range(14).filter((i) => !hits.includes(i)));
    out.forEach((r) => expect(r.source !== 'skipped' && r.features.data).toEqual(featuresOf(r.item).data));
  });

  it('an undecodable item is skipped in place with its error, never fatal; a repeat is not decoded again', async () => {
    const cache = await freshCache();
    const p = countingPipeline(() => 1, 2, [1, 4]);
    const items = [0, 1, 2, 3, 4, 5, 1];
    const out = await run(from(items).pipe(p.operator(cache, { batchSize: 2 })));
    const expected = items.map((i) => [i, [1, 4].includes(i) ? 'skipped' : 'encoded']);
    expect(out.map((r) => [r.item, r.source])).toEqual(expected);
    const reasons = out.map((r) => (r.source === 'skipped' ? (r.error as Error).message : undefined)).filter(Boolean);
    expect(reasons).toEqual(['cannot decode 1', 'cannot decode 4', 'cannot decode 1']);
    expect(p.s.decodes.filter((i) => i === 1)).toHaveLength(1);
    expect(p.s.batches.flat().sort()).toEqual([0, 2, 3, 5]);
    expect([1, 4].map((i) => cache.has(keyOf(i)))).toEqual([false, false]);
  });

  it('a decode that completes without a value is a broken contract: E_DECODE_EMPTY', async () => {
    const cache = await freshCache();
    const encode = (b: readonly number[]) => Promise.resolve(b.map(featuresOf));
    const empty = cacheFeatures({ cache, keyOf, decode: () => EMPTY, encode });
    await expect(run(from([0]).pipe(empty))).rejects.toMatchObject({
      code: 'E_DECODE_EMPTY',
      context: { key: 'item-0' },
    });
  });

  it('rejects a window smaller than a batch, and non-integer sizes', async () => {
    const cache = await freshCache();
    const encode = (b: readonly number[]) => Promise.resolve(b.map(featuresOf));
    const base = { cache, keyOf, decode: (i: number) => [i], encode };
    const invalid = expect.objectContaining({ code: 'E_INVALID_ARGUMENT' });
    expect(() => cacheFeatures({ ...base, batchSize: 4, maxInFlight: 3 })).toThrow(invalid);
    expect(() => cacheFeatures({ ...base, decodeConcurrency: 0 })).toThrow(invalid);
    expect(() => cacheFeatures({ ...base, batchSize: 1.5 })).toThrow(invalid);
  });

  it('a hit whose entry is deleted before its turn is decoded and encoded then, in its place', async () => {
    const cache = await freshCache();
    await cache.put(keyOf(1), featuresOf(1));
    const decoded: number[] = [];
    const encode = async (b: readonly number[]) => {
      if (b.includes(0)) await cache.delete(keyOf(1)); // while item 1 waits behind item 0
      return b.map(featuresOf);
    };
    const decode = (i: number) => (decoded.push(i), [i]);
    const out = await run(from([0, 1]).pipe(cacheFeatures({ cache, keyOf, decode, encode, batchSize: 1 })));
    expect(out.map((r) => [r.item, r.source])).toEqual([
      [0, 'encoded'],
      [1, 'encoded'],
    ]);
    expect(decoded).toEqual([0, 1]);
    expect(cache.has(keyOf(1))).toBe(true);
  });
});
