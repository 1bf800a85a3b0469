/**
 * mergeCaches joins shards into a cache equal to the one a single process writes (every key, the
 * tensor bytes bit for bit, the headers but for their write time), and refuses shards that do not
 * belong together. A cache opened with `readThrough` finds keys in the shards in order.
 */
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { featureKey, type FeatureKey, type FeatureRecipe } from './cache-key.js';
import { shardCacheDir, shardOfKey } from './cache-shard.js';
import { decodeHeader } from './entry-codec.js';
import { FeatureCache } from './feature-cache.js';
import { mergeCaches } from './merge-caches.js';
import { writeShardManifest } from './shard-manifest.js';
import { randomTensor, tempDir } from './__tests__/test-helpers.js';

const t = tempDir('kvc-merge-');
afterAll(() => t.cleanup());
let n = 0;
const fresh = (name: string): string => join(t.dir, `${name}-${n++}`);

const recipe: FeatureRecipe = {
  encoderId: 'tiny/clip',
  encoderRevision: 'r1',
  layer: -2,
  frameCount: 4,
  sampling: 'uniform',
  preprocessingVersion: '1',
  dtype: 'float16',
};
const keyOf = (i: number, r: FeatureRecipe = recipe): FeatureKey =>
  featureKey({ kind: 'stat', path: `/videos/v${i}.mp4`, sizeBytes: 1000 + i, mtimeNs: `${i}000` }, r);
const KEYS = Array.from({ length: 24 }, (_, i) => keyOf(i));

/** Writes entries `items` (key index → tensor seed) into a new cache; `shard` adds a manifest. */
async function build(dir: string, items: readonly FeatureKey[], seed = 0, shard?: [number, number]): Promise<string> {
  const c = await FeatureCache.open(dir);
  for (const k of items) await c.put(k, randomTensor([3, 8], KEYS.indexOf(k) + 2 + seed));
  await c.close();
  if (shard) writeShardManifest(dir, { index: shard[0], count: shard[1] });
  return dir;
}

async function shards(count: number, base = fresh('shard')): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < count; i++)
    // `<base>.shard-i-of-N`: a name with a dot (which lmdb-js would take for a file name).
    dirs.push(
      await build(
        shardCacheDir(base, { index: i, count }),
        KEYS.filter((k) => shardOfKey(k.key, count) === i),
        0,
        [i, count],
      ),
    );
  return dirs;
}

/** Every entry's stored bytes: the tensor bytes raw, the header without its write time. */
async function contents(dir: string): Promise<Map<string, { body: Buffer; header: unknown }>> {
  const c = await FeatureCache.open(dir, { readOnly: true });
  const m = new Map<string, { body: Buffer; header: unknown }>();
  for (const k of c.keys()) {
    const e = c.rawEntry(k)!;
    const { createdAtMs: _t, ...header } = decodeHeader(e.header)!;
    m.set(k, { body: Buffer.from(e.body), header });
  }
  await c.close();
  return m;
}

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('mergeCaches', () => {
  it('merges 3 shards into what one process writes, bit for bit; merging again copies nothing', async () => {
    const single = await build(fresh('single'), KEYS);
    const parts = await shards(3);
    const out = fresh('merged');
    const r = await mergeCaches(out, parts);
    expect(r.entries).toBe(KEYS.length);
    expect(r.shards.map((s) => s.shard?.index)).toEqual([0, 1, 2]);
    expect(r.shards.reduce((a, s) => a + s.copied, 0)).toBe(KEYS.length);
    const [want, got] = [await contents(single), await contents(out)];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, w] of want) {
      expect(got.get(k)!.body.equals(w.body), k).toBe(true);
      expect(got.get(k)!.header).toEqual(w.header);
    }
    const again = await mergeCaches(out, parts);
    expect(again.shards.map((s) => s.copied)).toEqual([0, 0, 0]);
  });

  it('refuses a missing shard unless told, and shards of different splits', async () => {
    const parts = await shards(3);
    const err = await rejection(mergeCaches(fresh('out'), parts.slice(0, 2)));
    expect(err).toMatchObject({ code: 'E_SHARDS_INCOMPLETE', context: { missing: [2], count: 3 } });
    const partial = await mergeCaches(fresh('out'), parts.slice(0, 2), { allowMissing: true });
    expect(partial.entries).toBe(KEYS.filter((k) => shardOfKey(k.key, 3) < 2).length);
    const other = await shards(2);
    expect(await rejection(mergeCaches(fresh('out'), [...parts, other[0]!]))).toMatchObject({
      code: 'E_MERGE_MISMATCH',
    });
  });

  it('refuses a key whose features differ between shards', async () => {
    const a = await build(fresh('a'), KEYS.slice(0, 4));
    const b = await build(fresh('b'), KEYS.slice(3, 6), 100);
    const err = await rejection(mergeCaches(fresh('out'), [a, b]));
    expect(err).toMatchObject({ code: 'E_MERGE_CONFLICT', context: { key: KEYS[3]!.key, path: b, other: a } });
  });

  it('refuses shards of different recipes (another vision model)', async () => {
    const a = await build(fresh('a'), KEYS.slice(0, 2));
    const b = await build(fresh('b'), [keyOf(50, { ...recipe, encoderId: 'other/clip' })]);
    const err = await rejection(mergeCaches(fresh('out'), [a, b]));
    expect(err).toMatchObject({ code: 'E_MERGE_MISMATCH' });
    expect((err as Error).message).toContain('different recipes');
  });

  it('leaves damaged entries out and counts them', async () => {
    const a = await build(fresh('a'), KEYS.slice(0, 3));
    const root = open(a, { maxDbs: 4 });
    const data = root.openDB<Uint8Array, string>('data', { encoding: 'binary' });
    const body = Buffer.from(data.get(KEYS[1]!.key)!);
    body[0]! ^= 1;
    await data.put(KEYS[1]!.key, body);
    await root.close();
    const r = await mergeCaches(fresh('out'), [a]);
    expect(r.shards[0]).toMatchObject({ entries: 2, copied: 2, damaged: 1 });
  });

  it('refuses bad arguments', async () => {
    const a = await build(fresh('a'), KEYS.slice(0, 1));
    expect(await rejection(mergeCaches(a, [a]))).toMatchObject({ code: 'E_MERGE_ARGS' });
    expect(await rejection(mergeCaches(fresh('out'), [a, a]))).toMatchObject({ code: 'E_MERGE_ARGS' });
    expect(await rejection(mergeCaches(fresh('out'), []))).toMatchObject({ code: 'E_MERGE_ARGS' });
  });
});

describe('readThrough', () => {
  it('looks keys up in the listed caches, in order, and writes only to the first', async () => {
    const parts = await shards(2);
    const primary = fresh('primary');
    const c = await FeatureCache.open(primary, { readThrough: parts });
    try {
      for (const k of KEYS) expect(c.get(k)?.shape, k.key).toEqual([3, 8]);
      expect(c.stats().session).toMatchObject({ hits: KEYS.length, misses: 0 });
      await c.put(keyOf(99), randomTensor([3, 8], 99));
      expect(c.has(keyOf(99))).toBe(true);
      expect(c.stats().entries).toBe(1);
    } finally {
      await c.close();
    }
    for (const p of parts) expect([...(await contents(p)).keys()]).not.toContain(keyOf(99).key);
  });
});
