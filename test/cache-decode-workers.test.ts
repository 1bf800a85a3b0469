/**
 * `kvc cache` decodes in worker threads by default (video-io's DecodePool with the CLI's image-processor
 * mapper) and in the main thread with `features.decodeIn=main`: the built CLI both ways on the tiny synthetic
 * dataset (with an undecodable video), the two caches equal entry for entry, the tensor bytes bit for bit, the
 * same video skipped with the same code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '@kvc/feature-cache';
import { jsonLines, kvc, makeTinySetup } from './helpers/tiny-setup.js';
import type { KvcResult, TinySetup } from './helpers/tiny-setup.js';

let work: string;
let setup: TinySetup;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-decode-workers-'));
  setup = await makeTinySetup(work, { train: 6, val: 2, badVideo: true });
}, 300_000);
afterAll(async () => {
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

type Split = { split: string; encoded: number; skips: { id: string; code: string }[]; timing?: { decodeIn: string } };
const run = (dir: string, decodeIn: string): Promise<KvcResult> =>
  kvc([
    'cache',
    '--preset',
    'demo',
    '--data',
    setup.data,
    `vision.model=${setup.clipDir}`,
    `features.cacheDir=${dir}`,
    `features.decodeIn=${decodeIn}`,
    'features.decodeConcurrency=2',
    'backend=cpu',
    '--json',
  ]);

async function tensors(dir: string): Promise<Map<string, Buffer>> {
  const c = await FeatureCache.open(dir, { readOnly: true });
  try {
    return new Map([...c.keys()].map((k) => [k, Buffer.from(c.rawEntry(k)!.body)]));
  } finally {
    await c.close();
  }
}

describe('kvc cache: decoding in worker threads and in the main thread', () => {
  it('writes the same features, bit for bit, and skips the same video', async () => {
    const [workers, main] = [join(work, 'workers'), join(work, 'main')];
    const a = await run(workers, 'workers');
    const b = await run(main, 'main');
    for (const r of [a, b]) expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const splits = (r: KvcResult) => (jsonLines(r.stdout).at(-1) as { splits: Split[] }).splits;
    expect(splits(a).map((s) => s.timing?.decodeIn)).toEqual(['workers', 'workers']);
    expect(splits(b).map((s) => s.timing?.decodeIn)).toEqual(['main', 'main']);
    const skips = (r: KvcResult) => splits(r).flatMap((s) => s.skips.map((k) => [k.id, k.code]));
    expect(skips(a)).toEqual(skips(b));
    expect(skips(a)).toHaveLength(1);
    const [ta, tb] = [await tensors(workers), await tensors(main)];
    expect(ta.size).toBe(splits(a).reduce((n, s) => n + s.encoded, 0));
    expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
    for (const [k, v] of ta) expect(v.equals(tb.get(k)!), k).toBe(true);
  }, 300_000);
});
