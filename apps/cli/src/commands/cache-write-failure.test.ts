/**
 * `kvc cache` when the cache cannot be written (a full disk, an I/O error: LMDB's commit fails):
 * exit 1 with E_WRITE_FAILED naming the cache and the cause, no stack trace. The failure is
 * simulated by making LMDB's commit throw what lmdb-js throws on a full disk ("Input/output
 * error", errno 5; seen on a full tmpfs), in-process so it can be mocked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FeatureCache } from '@kvc/feature-cache';
import { synthDataset } from '@kvc/video-io';
import { writeTinyClipVision } from '../demo/write-tiny-clip-vision.js';
import { runCaptured } from './__tests__/run-captured.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvc-cli-writefail-'));
  await lastValueFrom(
    synthDataset({ out: join(dir, 'data'), train: 2, val: 1, seed: 3, size: 32, frames: 4, fps: 4 }),
    {
      defaultValue: undefined,
    },
  );
  await writeTinyClipVision(join(dir, 'clip'), {
    seed: 2,
    imageSize: 16,
    patchSize: 8,
    hiddenSize: 16,
    numLayers: 1,
    numHeads: 2,
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('kvc cache on a cache that cannot be written', () => {
  it('exits 1 with E_WRITE_FAILED naming the cache, without a stack trace', async () => {
    const cacheDir = join(dir, 'cache');
    const io = Object.assign(new Error('Input/output error'), { code: 5 });
    // Every cache the command opens gets an LMDB root whose commits fail (lmdb-js builds one store
    // class per environment, so the mock goes on each opened root).
    const open = FeatureCache.open.bind(FeatureCache);
    let commits = 0;
    const spy = vi.spyOn(FeatureCache, 'open').mockImplementation(async (...a) => {
      const c = await open(...a);
      const root = (c as unknown as { root: { transactionSync: (f: () => unknown) => unknown } }).root;
      vi.spyOn(root, 'transactionSync').mockImplementation(() => {
        commits++;
        throw io;
      });
      return c;
    });
    try {
      const args = ['cache', '--data', join(dir, 'data'), `vision.model=${join(dir, 'clip')}`];
      const r = await runCaptured([...args, `features.cacheDir=${cacheDir}`, 'backend=cpu']);
      expect(r.code).toBe(1);
      expect(commits).toBeGreaterThan(0);
      expect(r.stderr).toContain('[E_WRITE_FAILED]');
      expect(r.stderr).toContain(`cannot write the feature cache at ${cacheDir}: Input/output error`);
      expect(r.stderr).toMatch(/hint: check the disk under/);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    } finally {
      spy.mockRestore();
    }
  });
});
