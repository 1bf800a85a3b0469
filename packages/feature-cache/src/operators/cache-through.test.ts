import { afterEach, describe, expect, it } from 'vitest';
import { Observable, firstValueFrom, from, lastValueFrom, of, toArray } from 'rxjs';
import { writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureCache } from '../feature-cache.js';
import type { FeatureTensor } from '../feature-cache.js';
import { featureKey } from '../cache-key.js';
import type { FeatureRecipe } from '../cache-key.js';
import { videoIdentity } from '../video-identity.js';
import { cacheThrough } from './cache-through.js';
import type { CachedFeatures } from './feature-result.js';
import { withFeatureCache } from '../with-feature-cache.js';
import { randomTensor, tempDir } from '../__tests__/test-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freshCache(): Promise<{ cache: FeatureCache; dir: string }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const cache = await FeatureCache.open(join(t.dir, 'cache'));
  cleanups.push(() => cache.close());
  return { cache, dir: t.dir };
}

/** The tensor a fake encoder computes for item `i` (deterministic, so hits and misses can be compared). */
const featuresOf = (i: number): FeatureTensor => randomTensor([2, 3], i + 1);

/** A fake batch encoder that records the batches it saw; async, with a delay that varies per batch. */
function recordingEncoder() {
  const batches: number[][] = [];
  const encode = (batch: readonly number[]) => {
    batches.push([...batch]);
    return new Promise<FeatureTensor[]>((r) => setTimeout(() => r(batch.map(featuresOf)), (batches.length % 3) * 5));
  };
  return { batches, encode };
}

const run = <T>(o: Observable<T>) => lastValueFrom(o.pipe(toArray()));
const keyOf = (i: number) => `item-${i}`;

describe('cacheThrough', () => {
  it('batches misses, preserves order, writes them, and a second run is all hits without calling encode', async () => {
    const { cache } = await freshCache();
    const items = Array.from({ length: 10 }, (_, i) => i);
    const first = recordingEncoder();
    const out1 = await run(from(items).pipe(cacheThrough(first.encode, { cache, keyOf, batchSize: 4 })));
    expect(first.batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(out1.map((o) => o.item)).toEqual(items);
    expect(out1.every((o) => o.source === 'encoded')).toBe(true);

    const second = recordingEncoder();
    const out2 = await run(from(items).pipe(cacheThrough(second.encode, { cache, keyOf, batchSize: 4 })));
    expect(second.batches).toEqual([]);
    expect(out2.map((o) => [o.item, o.source])).toEqual(items.map((i) => [i, 'cache']));
    out2.forEach((o, i) => expect(o.features.data).toEqual(featuresOf(i).data));
    expect(cache.stats().session).toMatchObject({ hits: 10, misses: 10, writes: 10 });
  });

  it('batches misses across hits and keeps input order', async () => {
    const { cache } = await freshCache();
    for (const i of [1, 4, 5, 8]) await cache.put(keyOf(i), featuresOf(i));
    const enc = recordingEncoder();
    const items = Array.from({ length: 10 }, (_, i) => i);
    const out = await run(from(items).pipe(cacheThrough(enc.encode, { cache, keyOf, batchSize: 4 })));
    expect(enc.batches).toEqual([
      [0, 2, 3, 6],
      [7, 9],
    ]);
    expect(out.map((o) => o.item)).toEqual(items);
    expect(out.map((o) => o.source)).toEqual(items.map((i) => ([1, 4, 5, 8].includes(i) ? 'cache' : 'encoded')));
    out.forEach((o) => expect(o.features.data).toEqual(featuresOf(o.item).data));
  });

  it('hits waiting behind a pending miss are not read until their turn (memory stays one batch)', async () => {
    const { cache } = await freshCache();
    for (let i = 1; i <= 50; i++) await cache.put(keyOf(i), featuresOf(i));
    let release: (() => void) | undefined;
    const encode = (batch: readonly number[]) =>
      new Promise<FeatureTensor[]>((r) => (release = () => r(batch.map(featuresOf))));
    const out: number[] = [];
    const done = lastValueFrom(
      from(Array.from({ length: 51 }, (_, i) => i)).pipe(
        cacheThrough(encode, { cache, keyOf, batchSize: 4 }),
        toArray(),
      ),
    );
    await new Promise((r) => setTimeout(r, 0));
    // Item 0 is being encoded; the 50 hits behind it were only probed, not read (a read counts a hit).
    expect(cache.stats().session).toMatchObject({ hits: 0, misses: 1 });
    release!();
    out.push(...(await done).map((o) => o.item));
    expect(out).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(cache.stats().session).toMatchObject({ hits: 50, misses: 1 });
  });

  it('encodes a key repeated in the input once', async () => {
    const { cache } = await freshCache();
    const enc = recordingEncoder();
    const items = [0, 1, 0, 2, 0, 1];
    const out = await run(from(items).pipe(cacheThrough(enc.encode, { cache, keyOf, batchSize: 2 })));
    expect(enc.batches.flat().sort()).toEqual([0, 1, 2]);
    expect(out.map((o) => [o.item, o.source])).toEqual([
      [0, 'encoded'],
      [1, 'encoded'],
      [0, 'cache'],
      [2, 'encoded'],
      [0, 'cache'],
      [1, 'cache'],
    ]);
    out.forEach((o) => expect(o.features.data).toEqual(featuresOf(o.item).data));
  });

  it('a bad key from keyOf ends the stream with E_INVALID_ARGUMENT', async () => {
    const { cache } = await freshCache();
    const enc = recordingEncoder();
    await expect(
      run(of(0, 1).pipe(cacheThrough(enc.encode, { cache, keyOf: (i) => (i === 1 ? '' : keyOf(i)) }))),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    const throwing = () => {
      throw new Error('no path');
    };
    await expect(run(of(0).pipe(cacheThrough(enc.encode, { cache, keyOf: throwing })))).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringContaining('no path'),
    });
    expect(enc.batches).toEqual([]);
  });

  it('closing the cache under a running stream is an error down the stream, not an unhandled rejection', async () => {
    const { cache } = await freshCache();
    await cache.put(keyOf(1), featuresOf(1));
    const encode = async (batch: readonly number[]) => {
      await new Promise((r) => setTimeout(r, 0)); // both items are queued by now
      await cache.close();
      return batch.map(featuresOf);
    };
    await expect(run(of(0, 1).pipe(cacheThrough(encode, { cache, keyOf, batchSize: 1 })))).rejects.toMatchObject({
      code: 'E_CACHE_WRITE',
      context: { causeCode: 'E_CACHE_CLOSED' },
    });
  });

  it('accepts an Observable encoder emitting the batch in pieces', async () => {
    const { cache } = await freshCache();
    const encode = (batch: readonly number[]) => from(batch.map((i) => [featuresOf(i)]));
    const out = await run(of(0, 1, 2).pipe(cacheThrough(encode, { cache, keyOf, batchSize: 2 })));
    expect(out.map((o) => o.item)).toEqual([0, 1, 2]);
  });

  it('an encode error travels down the stream with context; batches already stored stay', async () => {
    const { cache } = await freshCache();
    const seen: CachedFeatures<number>[] = [];
    const encode = async (batch: readonly number[]) => {
      if (batch.includes(3))
        throw Object.assign(new Error('decoder exploded'), { code: 'E_FFMPEG', context: { file: 'v3.mp4' } });
      return batch.map(featuresOf);
    };
    const err = await new Promise<unknown>((resolve) =>
      from([0, 1, 2, 3])
        .pipe(cacheThrough(encode, { cache, keyOf, batchSize: 2 }))
        .subscribe({ next: (v) => seen.push(v), error: resolve }),
    );
    expect(err).toMatchObject({
      code: 'E_ENCODE_FAILED',
      message: expect.stringContaining('decoder exploded'),
      context: {
        batchIndex: 1,
        batchSize: 2,
        keys: ['item-2', 'item-3'],
        causeCode: 'E_FFMPEG',
        cause: { file: 'v3.mp4' },
      },
    });
    expect(seen.map((s) => s.item)).toEqual([0, 1]);
    expect(cache.has(keyOf(1))).toBe(true);
    expect(cache.has(keyOf(2))).toBe(false);
  });

  it('a wrong number of tensors or a mis-shaped tensor is E_ENCODE_RESULT and nothing is stored', async () => {
    const { cache } = await freshCache();
    const short = () => Promise.resolve([featuresOf(0)]);
    await expect(run(of(0, 1).pipe(cacheThrough(short, { cache, keyOf, batchSize: 2 })))).rejects.toMatchObject({
      code: 'E_ENCODE_RESULT',
    });
    const bad = (b: readonly number[]) => Promise.resolve(b.map(() => ({ data: new Float32Array(5), shape: [2, 3] })));
    await expect(run(of(0, 1).pipe(cacheThrough(bad, { cache, keyOf, batchSize: 2 })))).rejects.toMatchObject({
      code: 'E_ENCODE_RESULT',
    });
    expect(cache.stats().entries).toBe(0);
  });

  it('float16 storage: encoded outputs equal what later hits return', async () => {
    const { cache } = await freshCache();
    const enc = recordingEncoder();
    const a = await run(of(0, 1, 2).pipe(cacheThrough(enc.encode, { cache, keyOf, batchSize: 2, dtype: 'float16' })));
    const b = await run(of(0, 1, 2).pipe(cacheThrough(enc.encode, { cache, keyOf, batchSize: 2, dtype: 'float16' })));
    expect(b.map((o) => o.source)).toEqual(['cache', 'cache', 'cache']);
    a.forEach((o, i) =>
      expect(Buffer.from(o.features.data.buffer).equals(Buffer.from(b[i]!.features.data.buffer))).toBe(true),
    );
    expect(cache.stats().byDtype.float16.entries).toBe(3);
  });

  it('unsubscribing tears down the running encode', async () => {
    const { cache } = await freshCache();
    let tornDown = false;
    const encode = () => new Observable<FeatureTensor[]>(() => () => void (tornDown = true));
    const sub = of(0, 1)
      .pipe(cacheThrough(encode, { cache, keyOf, batchSize: 1 }))
      .subscribe();
    sub.unsubscribe();
    expect(tornDown).toBe(true);
  });

  it('re-encodes exactly the video whose file changed (size or mtime), with FeatureKeys from videoIdentity', async () => {
    const { cache, dir } = await freshCache();
    const files = [0, 1, 2].map((i) => join(dir, `v${i}.mp4`));
    files.forEach((f, i) => writeFileSync(f, `video ${i}`));
    const recipe: FeatureRecipe = {
      encoderId: 'enc',
      encoderRevision: 'r1',
      layer: -2,
      frameCount: 8,
      sampling: 'uniform',
      preprocessingVersion: 'p1',
      dtype: 'float32',
    };
    const pass = async () => {
      const keyed = await Promise.all(
        files.map(async (f, i) => ({ i, key: featureKey(await videoIdentity(f), recipe) })),
      );
      const enc = recordingEncoder();
      await run(
        from(keyed).pipe(
          cacheThrough((b) => enc.encode(b.map((x) => x.i)), { cache, keyOf: (x) => x.key, batchSize: 8 }),
        ),
      );
      return enc.batches.flat();
    };
    expect(await pass()).toEqual([0, 1, 2]);
    expect(await pass()).toEqual([]);
    writeFileSync(files[1]!, 'video 1, re-encoded'); // size changes
    const later = new Date(Date.now() + 60_000);
    utimesSync(files[2]!, later, later); // only mtime changes
    expect(await pass()).toEqual([1, 2]);
    // The ingredients are stored beside the features.
    const key = featureKey(await videoIdentity(files[0]!), recipe);
    expect(cache.get(key)?.meta).toEqual({ ingredients: key.ingredients });
  });
});

describe('withFeatureCache', () => {
  it('opens on subscribe and closes on completion', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    let seen: FeatureCache | undefined;
    const n = await firstValueFrom(
      withFeatureCache(join(t.dir, 'c'), {}, (cache) => {
        seen = cache;
        return of(0, 1).pipe(
          cacheThrough((b) => Promise.resolve(b.map(featuresOf)), { cache, keyOf }),
          toArray(),
        );
      }),
    );
    expect(n).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen?.isClosed).toBe(true);
  });
});
