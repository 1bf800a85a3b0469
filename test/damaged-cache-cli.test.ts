/**
 * A damaged feature cache through the built CLI, each command in its own process (a crash would
 * show as a signal, which is what this guards against): an empty, truncated or garbage data.mdb,
 * or one flipped byte in a tree page, makes `kvc cache-stats` and `kvc cache` exit 1 with
 * E_CACHE_DAMAGED naming the cache and the hint to rebuild it, and no stack trace. `kvc cache`
 * on an empty data.mdb (a writable open) rebuilds it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLmdbFile } from '@kvc/feature-cache';
import { damagedCopy, DAMAGE } from './helpers/lmdb-damage.js';
import { jsonLines, kvc, makeTinySetup } from './helpers/tiny-setup.js';
import type { KvcResult, TinySetup } from './helpers/tiny-setup.js';

let work: string;
let setup: TinySetup;
let pageSize: number;
const cacheArgs = (cacheDir: string): string[] => [
  'cache',
  '--data',
  setup.data,
  `vision.model=${setup.clipDir}`,
  `features.cacheDir=${cacheDir}`,
  'backend=cpu',
];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-damaged-cli-'));
  setup = await makeTinySetup(work, { train: 4, val: 2 });
  const r = await kvc(cacheArgs(setup.cacheDir));
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  const c = checkLmdbFile(join(setup.cacheDir, 'data.mdb'));
  if (!c.ok) throw new Error(`the fresh cache fails its check: ${c.detail}`);
  pageSize = c.pageSize;
}, 300_000);
afterAll(async () => {
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

/** Exit 1 (not a signal: `code` is null then), the error naming `dir`, the rebuild hint, no stack. */
function expectDamaged(r: KvcResult, dir: string): void {
  expect(r.code, `exit ${r.code}; stderr: ${r.stderr.slice(-2000)}`).toBe(1);
  expect(r.stderr).toContain('[E_CACHE_DAMAGED]');
  expect(r.stderr).toContain(`the feature cache at ${dir} is damaged`);
  expect(r.stderr).toContain(`remove ${dir} and rerun \`kvc cache\``);
  expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('a damaged cache through the CLI', () => {
  let n = 0;
  for (const damage of Object.keys(DAMAGE)) {
    it(`${damage}: kvc cache-stats exits 1 with E_CACHE_DAMAGED`, async () => {
      const dir = damagedCopy(setup.cacheDir, join(work, `copy-${n++}`), damage, pageSize);
      expectDamaged(await kvc(['cache-stats', '--cache', dir]), dir);
      const json = await kvc(['cache-stats', '--cache', dir, '--json']);
      expect(jsonLines(json.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_CACHE_DAMAGED' });
    });
  }

  for (const damage of ['truncated', 'garbage', 'byte flip'] as const) {
    it(`${damage}: kvc cache exits 1 with E_CACHE_DAMAGED`, async () => {
      const dir = damagedCopy(setup.cacheDir, join(work, `copy-${n++}`), damage, pageSize);
      expectDamaged(await kvc(cacheArgs(dir)), dir);
    });
  }

  it('empty: kvc cache rebuilds it', async () => {
    const dir = damagedCopy(setup.cacheDir, join(work, `copy-${n++}`), 'empty', pageSize);
    const r = await kvc([...cacheArgs(dir), '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'result', entries: 6 });
  });
});
