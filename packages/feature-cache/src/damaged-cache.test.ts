/**
 * A damaged LMDB file is an error naming the cache, never a mapped file that kills the process:
 * empty, truncated, garbage, a second meta page overwritten, a flipped byte in a tree page (caught
 * by the child-process probe), and a failing commit (E_WRITE_FAILED, the cause kept).
 * The in-process opens here are safe only because the checks refuse before LMDB maps anything;
 * test/damaged-cache-cli.test.ts runs the same damage through the real CLI in child processes.
 */
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FeatureCache } from './feature-cache.js';
import { checkLmdbFile } from './lmdb-header.js';
import { writeFailure } from './lmdb-failure.js';
import { randomTensor, tempDir } from './__tests__/test-helpers.js';

const t = tempDir('kvc-damaged-');
let good: string;
let pageSize: number;
afterAll(() => t.cleanup());

beforeAll(async () => {
  good = join(t.dir, 'good');
  const cache = await FeatureCache.open(good);
  // Enough entries for a data tree of more than one page (a branch root over leaves).
  for (let i = 0; i < 120; i++) await cache.put(`k${i}`, randomTensor([4, 40 + i], i + 1));
  await cache.close();
  const c = checkLmdbFile(join(good, 'data.mdb'));
  if (!c.ok) throw new Error(`the fresh cache fails its check: ${c.detail}`);
  pageSize = c.pageSize;
});

let n = 0;
/** A copy of the good cache with `damage` applied to its data.mdb bytes (or file). */
function damaged(damage: (file: string, bytes: Buffer) => void): string {
  const dir = join(t.dir, `copy-${n++}`);
  cpSync(good, dir, { recursive: true });
  const file = join(dir, 'data.mdb');
  damage(file, readFileSync(file));
  return dir;
}

async function openError(dir: string, readOnly = true): Promise<Record<string, unknown>> {
  const err = await FeatureCache.open(dir, { readOnly, probe: true }).then(
    async (c) => {
      await c.close();
      throw new Error(`${dir} opened`);
    },
    (e: unknown) => e as Record<string, unknown>,
  );
  return err;
}

/** Offset of the MDB_db record of the named database `name` in the main DB's root (a leaf). */
function namedDbRecord(bytes: Buffer, name: string): number {
  const metaTxnid = (at: number) => bytes.readBigUInt64LE(at + 152);
  const meta = metaTxnid(pageSize) > metaTxnid(0) ? pageSize : 0;
  const root = Number(bytes.readBigUInt64LE(meta + 136));
  const page = bytes.subarray(root * pageSize, (root + 1) * pageSize);
  const keys = page.readUInt16LE(20) >> 1; // mp_lower counts the 2-byte node pointers after the header
  for (let i = 0; i < keys; i++) {
    const node = 24 + page.readUInt16LE(24 + 2 * i);
    const ksize = page.readUInt16LE(node + 6);
    // lmdb-js stores database names with their terminating NUL
    if (page.toString('latin1', node + 8, node + 8 + ksize) === `${name}\0`) return root * pageSize + node + 8 + ksize;
  }
  throw new Error(`no database ${name} in the main tree`);
}

describe('a damaged cache file', () => {
  const cases: [string, (file: string, bytes: Buffer) => void, RegExp][] = [
    ['empty', (f) => writeFileSync(f, ''), /empty/],
    ['truncated to half (a partial copy)', (f, b) => truncateSync(f, Math.floor(b.length / 2)), /bytes but/],
    ['truncated inside the first page', (f) => truncateSync(f, 100), /shorter than one LMDB meta page/],
    ['garbage', (f, b) => writeFileSync(f, Buffer.from(b.map((_, i) => (i * 7919 + 13) & 0xff))), /magic/],
    ['second meta page overwritten', (f, b) => writeFileSync(f, b.fill(0, pageSize, 2 * pageSize)), /second meta/],
  ];
  for (const [what, damage, detail] of cases) {
    it(`${what}: E_CACHE_DAMAGED naming the cache, with a rebuild hint`, async () => {
      const dir = damaged(damage);
      const err = await openError(dir);
      expect(err).toMatchObject({ code: 'E_CACHE_DAMAGED', context: { path: dir } });
      expect(err.message).toMatch(detail);
      expect(err.hint).toContain(`remove ${dir}`);
      expect(err.hint).toContain('kvc cache');
    });
  }

  it('a writable open refuses a truncated file too, and accepts an empty one (LMDB initialises it)', async () => {
    const cut = damaged((f, b) => truncateSync(f, b.length - pageSize));
    expect(await openError(cut, false)).toMatchObject({ code: 'E_CACHE_DAMAGED' });
    const empty = damaged((f) => writeFileSync(f, ''));
    const c = await FeatureCache.open(empty);
    await c.put('k', randomTensor([2], 1));
    expect(c.has('k')).toBe(true);
    await c.close();
  });

  it('one flipped byte in a database record (a page number): E_CACHE_DAMAGED from the probe', async () => {
    const dir = damaged((f, b) => {
      const root = namedDbRecord(b, 'meta') + 40; // md_root of the `meta` database
      b[root + 3]! ^= 0xff;
      writeFileSync(f, b);
    });
    expect(checkLmdbFile(join(dir, 'data.mdb')).ok).toBe(true); // the meta pages are intact
    const err = await openError(dir);
    expect(err).toMatchObject({ code: 'E_CACHE_DAMAGED', context: { path: dir } });
    expect(err.message).toMatch(/reading it failed: .*MDB_|crashed a probe process/);
    // Without the probe the open itself reads that page: still an error naming the cache, with the hint.
    const direct = await (async () => {
      const c = await FeatureCache.open(dir, { readOnly: true });
      try {
        return c.stats();
      } finally {
        await c.close();
      }
    })().catch((e: unknown) => e);
    expect(direct).toMatchObject({ code: 'E_CACHE_DAMAGED', hint: expect.stringContaining(`remove ${dir}`) });
  });

  it('the good cache passes every check', async () => {
    const c = await FeatureCache.open(good, { readOnly: true, probe: true });
    expect(c.stats().entries).toBe(120);
    await c.close();
  });
});

describe('a failing write', () => {
  it('is E_WRITE_FAILED naming the cache, with the cause', async () => {
    const dir = join(t.dir, 'write-fails');
    const cache = await FeatureCache.open(dir);
    const root = (cache as unknown as { root: { transactionSync: (f: () => unknown) => unknown } }).root;
    const io = Object.assign(new Error('Input/output error'), { code: 5 });
    const spy = vi.spyOn(root, 'transactionSync').mockImplementation(() => {
      throw io;
    });
    try {
      const err = await cache.put('k', randomTensor([3], 2)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'E_WRITE_FAILED', context: { path: dir }, cause: io });
      expect((err as Error).message).toContain(dir);
      expect((err as { hint: string }).hint).toContain(dir);
    } finally {
      spy.mockRestore();
      await cache.close();
    }
  });

  it('a full disk says so in the hint', () => {
    const err = writeFailure('/c', new Error('MDB_MAP_RESIZED: No space left on device'));
    expect(err).toMatchObject({ code: 'E_WRITE_FAILED', context: { path: '/c', errno: 'ENOSPC' } });
    expect((err as unknown as { hint: string }).hint).toMatch(/disk is full/);
  });
});
