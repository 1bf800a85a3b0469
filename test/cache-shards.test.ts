/**
 * `kvc cache --shard I/N` on one machine, as N processes of the built CLI (tiny CLIP, the tiny
 * synthetic dataset with one undecodable video and one bad label): one shard is killed with
 * SIGKILL mid-way and rerun, `kvc cache merge` joins the shards, and the merged cache equals the
 * cache one `kvc cache` process writes: the same keys, the tensor bytes bit for bit, the headers
 * equal but for their write time. `kvc cache` and `kvc train` runs whose features.cacheDir lists
 * the shards find every video cached; `--shard auto` reads a Slurm array's variables.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache, readShardManifest, shardCacheDir } from '@kvc/feature-cache';
import { jsonLines, kvc, KVC_BIN, makeTinySetup, REPO_ROOT, tinyTrainArgs } from './helpers/tiny-setup.js';
import type { KvcResult, TinySetup } from './helpers/tiny-setup.js';

const N = 3;
let work: string;
let setup: TinySetup;
const expectOk = (r: KvcResult): void => expect(r.code, r.stderr.slice(-3000)).toBe(0);
const cacheArgs = (cacheDir: string, extra: readonly string[] = []): string[] => [
  'cache',
  '--preset',
  'demo', // the recipe `kvc train --preset demo` uses (tinyTrainArgs)
  '--data',
  setup.data,
  `vision.model=${setup.clipDir}`,
  `features.cacheDir=${cacheDir}`,
  'features.dtype=float16',
  // One video per transaction, so a kill lands between videos with some already written.
  'features.batchVideos=1',
  'backend=cpu',
  '--json',
  ...extra,
];
type Summary = {
  split: string;
  samples: number;
  hits: number;
  encoded: number;
  skipped: number;
  skips: { id: string; reason: string }[];
};
const resultOf = (r: KvcResult) =>
  jsonLines(r.stdout).at(-1) as { type: string; entries: number; cache: string; splits: Summary[] };
const sum = (r: KvcResult, f: 'samples' | 'hits' | 'encoded' | 'skipped'): number =>
  resultOf(r).splits.reduce((a, s) => a + s[f], 0);

/**
 * `kvc cache` with these arguments. (Until session 14 this reran while a valid video had been skipped: under
 * load fluent-ffmpeg failed good decodes with "Output stream closed". video-io now spawns ffmpeg itself, and
 * ffmpeg-process.test.ts covers that case, so any stray skip fails the comparison below.)
 */
const cacheRun = (args: readonly string[]): Promise<KvcResult> => kvc(args);

/** Every entry's stored bytes: the tensor bytes raw, the header without its write time. */
async function contents(dir: string): Promise<Map<string, { body: Buffer; header: Record<string, unknown> }>> {
  const { decode } = await import('msgpackr');
  const c = await FeatureCache.open(dir, { readOnly: true });
  const m = new Map<string, { body: Buffer; header: Record<string, unknown> }>();
  try {
    for (const k of c.keys()) {
      const e = c.rawEntry(k)!;
      const { createdAtMs: _t, ...header } = decode(e.header) as Record<string, unknown>;
      m.set(k, { body: Buffer.from(e.body), header });
    }
  } finally {
    await c.close();
  }
  return m;
}

/** Entries a read-only open of `dir` sees now (0 while it does not exist yet). */
async function entriesNow(dir: string): Promise<number> {
  try {
    const c = await FeatureCache.open(dir, { readOnly: true });
    try {
      return c.stats().entries;
    } finally {
      await c.close();
    }
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-shards-'));
  // 36 train videos: each shard has several, so the SIGKILL below lands while shard 0 still has videos to do
  // (with 12, shard 0 had two and could finish both between the first entry and the kill).
  setup = await makeTinySetup(work, { train: 36, val: 3, badVideo: true, badLabel: true });
}, 300_000);
afterAll(async () => {
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

describe('kvc cache --shard I/N, killed and rerun, then kvc cache merge', () => {
  it('merges into the single-process cache, bit for bit', async () => {
    const single = join(work, 'single');
    const one = await cacheRun(cacheArgs(single));
    expectOk(one);
    const base = join(work, 'sharded');
    const shardDir = (i: number): string => shardCacheDir(base, { index: i, count: N });

    // Shard 0 is started alone and killed (SIGKILL: no cleanup at all) once it has written an entry.
    const victim = spawn(process.execPath, [KVC_BIN, ...cacheArgs(base, ['--shard', `0/${N}`])], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((res) => victim.on('exit', (_c, s) => res(s)));
    let seen = 0;
    for (let t = 0; t < 1200 && seen === 0 && victim.exitCode === null; t++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await entriesNow(shardDir(0));
    }
    victim.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const left = await entriesNow(shardDir(0));
    expect(left).toBeGreaterThan(0);

    // The N shards as N processes at once (shard 0 rerun over what the killed one left).
    const runs = await Promise.all(
      [...Array(N).keys()].map((i) => cacheRun(cacheArgs(base, ['--shard', `${i}/${N}`]))),
    );
    runs.forEach(expectOk);
    const rerun = runs[0]!;
    expect(sum(rerun, 'hits')).toBe(left);
    expect(left).toBeLessThan(sum(rerun, 'hits') + sum(rerun, 'encoded'));
    for (const [i, r] of runs.entries()) {
      expect(resultOf(r)).toMatchObject({ cache: shardDir(i), shard: { index: i, count: N } });
      expect(readShardManifest(shardDir(i))).toMatchObject({ index: i, count: N });
    }
    // Each usable video in exactly one shard; the bad label reported once (shard 0), the bad video once.
    const perShard = runs.map((r) => resultOf(r).entries);
    const said = JSON.stringify([resultOf(one), ...runs.map(resultOf)]);
    expect(
      perShard.reduce((a, b) => a + b, 0),
      said,
    ).toBe(resultOf(one).entries);
    expect(runs.reduce((a, r) => a + sum(r, 'skipped'), 0)).toBe(sum(one, 'skipped'));
    expect(runs.reduce((a, r) => a + sum(r, 'samples'), 0)).toBe(sum(one, 'samples'));

    const merged = join(work, 'merged');
    const m = await kvc(['cache', 'merge', merged, ...[...Array(N).keys()].map(shardDir), '--json']);
    expectOk(m);
    expect(jsonLines(m.stdout).at(-1)).toMatchObject({ type: 'result', entries: resultOf(one).entries });
    const [want, got] = [await contents(single), await contents(merged)];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, w] of want) {
      expect(got.get(k)!.body.equals(w.body), `tensor bytes of ${k}`).toBe(true);
      expect(got.get(k)!.header, `header of ${k}`).toEqual(w.header);
    }

    // Runs reading the shards directly (a list: looked up in order, new features to the first).
    const list = `features.cacheDir=[${join(work, 'local')},${[...Array(N).keys()].map(shardDir).join(',')}]`;
    const reading = await kvc([...cacheArgs(base), list]);
    expectOk(reading);
    expect(sum(reading, 'encoded')).toBe(0);
    expect(sum(reading, 'hits')).toBe(resultOf(one).entries);
    const trained = await kvc([...tinyTrainArgs(setup, join(work, 'run'), ['features.dtype=float16', list]), '--json']);
    expectOk(trained);
    const features = jsonLines(trained.stdout).find((l) => l.type === 'features');
    const usable = (split: string) => resultOf(one).splits.find((s) => s.split === split)!;
    expect(features).toMatchObject({
      train: { hits: usable('train').hits + usable('train').encoded, encoded: 0 },
      val: { hits: usable('val').hits + usable('val').encoded, encoded: 0 },
    });
  }, 900_000); // five kvc cache runs and a merge, on a busy 2-core machine

  it('--shard auto takes the shard from a Slurm array, and refuses an environment without one', async () => {
    const base = join(work, 'auto');
    const env = { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '2' };
    const r = await kvcEnv(cacheArgs(base, ['--shard', 'auto', '--split', 'val']), env);
    expectOk(r);
    expect(resultOf(r)).toMatchObject({
      shard: { index: 1, count: 2 },
      cache: shardCacheDir(base, { index: 1, count: 2 }),
    });
    const none = await kvcEnv(cacheArgs(base, ['--shard', 'auto']), {});
    expect(none.code).toBe(1);
    expect(jsonLines(none.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_BAD_SHARD' });
    expect(none.stderr).toMatch(/JOB_COMPLETION_INDEX/);
  }, 300_000);
});

/** The built kvc with the scheduler variables replaced by `vars` (none of the test runner's own). */
function kvcEnv(args: readonly string[], vars: Record<string, string>): Promise<KvcResult> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(SLURM_|JOB_COMPLETION_INDEX|KVC_SHARD_)/.test(k)),
  );
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [KVC_BIN, ...args], { cwd: REPO_ROOT, env: { ...env, ...vars } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
