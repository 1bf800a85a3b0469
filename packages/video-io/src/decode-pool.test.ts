import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { firstValueFrom, lastValueFrom, mergeMap, from, toArray, type Observable } from 'rxjs';
import { DecodePool } from './decode-pool.js';
import { decodeSkip } from './decode-sample.js';
import { sampleVideo, type SampledVideo } from './sample-video.js';
import type { FrameMapperSpec, FrameMapper } from './frame-mapper.js';
import type { SampleEvent } from './dataset-events.js';
import { makeNoisyVideo, pidsWithArg, tempDir, waitFor } from './__tests__/helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
// The bundles go where node finds the package's dependencies (the repo's ignored tmp/ folder), as in
// decode-memory.test.ts: vitest runs the sources, and a worker thread cannot run TypeScript.
const BUNDLE_DIR = join(PKG, '..', '..', 'tmp', `decode-pool-${process.pid}`);
const WORKER = join(BUNDLE_DIR, 'decode-worker.mjs');
const MAPPER = join(BUNDLE_DIR, 'mapper.mjs');

/**
 * The test's frame mapper: keeps the left half of a frame and inverts it (a result no decode gives by itself);
 * a frame `dieAtWidth` wide ends the worker thread, as a crash in the mapper would.
 */
const MAPPER_SOURCE = `
export function leftHalfInverted(args) {
  return (f) => {
    if (args && f.width === args.dieAtWidth) process.exit(3);
    const w = Math.floor(f.width / 2);
    const data = new Uint8Array(w * f.height * 3);
    for (let y = 0; y < f.height; y++)
      for (let x = 0; x < w * 3; x++) data[y * w * 3 + x] = 255 - f.data[y * f.width * 3 + x];
    return { width: w, height: f.height, data };
  };
}`;

type CodedError = Error & { code?: string };
/** The error an Observable of one value fails with (the test fails if it gives a value). */
const failure = async (o: Observable<unknown>): Promise<CodedError> => {
  try {
    await firstValueFrom(o);
  } catch (e) {
    return e as CodedError;
  }
  throw new Error('expected the decode to fail');
};

const sameVideo = (a: SampledVideo, b: SampledVideo): void => {
  expect({ ...a, frames: undefined }).toEqual({ ...b, frames: undefined });
  expect(a.frames.map((f) => Buffer.from(f.data))).toEqual(b.frames.map((f) => Buffer.from(f.data)));
};

describe('DecodePool (sampleVideo in worker threads)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let mapper: FrameMapperSpec;
  let inThread: FrameMapper;
  let pool: DecodePool;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-decode-pool-'));
    await mkdir(BUNDLE_DIR, { recursive: true });
    await build({
      entryPoints: [join(PKG, 'src', 'decode-worker.ts')],
      outfile: WORKER,
      bundle: true,
      platform: 'node',
      format: 'esm',
      // @kvc/errors goes in (the worker inherits vitest's `source` condition, and node cannot run its .ts).
      conditions: ['source'],
      external: ['rxjs', 'pngjs', '@ffmpeg-installer/*', '@ffprobe-installer/*'],
      logLevel: 'error',
    });
    await writeFile(MAPPER, MAPPER_SOURCE);
    mapper = { module: pathToFileURL(MAPPER).href, name: 'leftHalfInverted', args: { dieAtWidth: 40 } };
    inThread = ((await import(mapper.module)) as { leftHalfInverted: (a: unknown) => FrameMapper }).leftHalfInverted(
      mapper.args,
    );
    await makeNoisyVideo(join(dir, 'gop20.mp4'), 20, 6);
    await makeNoisyVideo(join(dir, 'other.mp4'), 30, 3, '48x32');
    await makeNoisyVideo(join(dir, 'die.mp4'), 30, 1, '40x30');
    await makeNoisyVideo(join(dir, 'long.mp4'), 600, 60, '320x240');
    await writeFile(join(dir, 'broken.mp4'), Buffer.from('not a video at all'));
    pool = (await DecodePool.open({ size: 2, mapper, workerUrl: pathToFileURL(WORKER) }))!;
  }, 120_000);
  afterAll(async () => {
    await pool?.close();
    await cleanup();
    await rm(BUNDLE_DIR, { recursive: true, force: true });
  });

  it('gives the frames sampleVideo gives in this thread, bit for bit, seeking and scanning, more videos than workers', async () => {
    expect(pool.size).toBe(2);
    const jobs = [
      ['gop20.mp4', true],
      ['gop20.mp4', false],
      ['other.mp4', true],
      ['gop20.mp4', true],
    ] as const;
    const got = await lastValueFrom(
      from(jobs).pipe(
        mergeMap(([name, seek]) => pool.sample(join(dir, name), { numFrames: 8, seek })),
        toArray(),
      ),
    );
    expect(got).toHaveLength(jobs.length);
    for (const [name, seek] of jobs) {
      const want = await firstValueFrom(sampleVideo(join(dir, name), { numFrames: 8, seek, mapFrame: inThread }));
      expect(want.width).toBe(name === 'other.mp4' ? 24 : 32); // the mapper ran
      const mine = got.find((v) => v.file === want.file && v.frames.length === want.frames.length)!;
      sameVideo(mine, want);
    }
  });

  it('decodeSample: a sample with its frames, as video-io’s decodeSample', async () => {
    const sample = { type: 'sample', id: 's1', video: join(dir, 'other.mp4'), caption: 'x' } as unknown as SampleEvent;
    const ev = await firstValueFrom(pool.decodeSample(sample, { numFrames: 3 }));
    expect(ev.type).toBe('frames');
    expect(ev.sample).toBe(sample);
    expect(ev.video.frames).toHaveLength(3);
  });

  it('a video that cannot be decoded fails with the class and code it fails with in this thread, so it is skipped alike', async () => {
    const file = join(dir, 'broken.mp4');
    const there = await failure(pool.sample(file));
    const here = await failure(sampleVideo(file, { mapFrame: inThread }));
    expect(there).toBeInstanceOf(here.constructor);
    expect(there.code).toBe(here.code);
    expect(there.message).toBe(here.message);
    const sample = { type: 'sample', id: 'b', video: file, caption: 'x' } as unknown as SampleEvent;
    expect(decodeSkip(sample, there)).toEqual(decodeSkip(sample, here));
  });

  it('a worker that dies fails its video with E_DECODE_WORKER, and a new worker takes the next', async () => {
    const err = await failure(pool.sample(join(dir, 'die.mp4'), { numFrames: 2 }));
    expect(err.code).toBe('E_DECODE_WORKER');
    expect(await waitFor(() => pool.size === 2)).toBe(true);
    const ok = await lastValueFrom(
      from([1, 2, 3]).pipe(
        mergeMap(() => pool.sample(join(dir, 'other.mp4'), { numFrames: 2 })),
        toArray(),
      ),
    );
    expect(ok.map((v) => v.frames.length)).toEqual([2, 2, 2]);
  });

  it('unsubscribing cancels the decode: its ffmpeg ends', async () => {
    const file = join(dir, 'long.mp4');
    const sub = pool.sample(file, { numFrames: 8, seek: false }).subscribe({ error: () => undefined });
    expect(await waitFor(() => pidsWithArg(file).length > 0)).toBe(true);
    sub.unsubscribe();
    expect(await waitFor(() => pidsWithArg(file).length === 0)).toBe(true);
    // The worker is free again: two more decodes on a pool of two finish.
    const next = await lastValueFrom(
      from([1, 2]).pipe(
        mergeMap(() => pool.sample(join(dir, 'other.mp4'), { numFrames: 1 })),
        toArray(),
      ),
    );
    expect(next).toHaveLength(2);
  });

  it('a mapper that cannot be loaded rejects open; no worker script beside the sources: no pool', async () => {
    const url = pathToFileURL(WORKER);
    await expect(
      DecodePool.open({
        size: 1,
        workerUrl: url,
        mapper: { module: pathToFileURL(join(dir, 'none.mjs')).href, name: 'f' },
      }),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(DecodePool.open({ size: 1, workerUrl: url, mapper: { ...mapper, name: 'missing' } })).rejects.toThrow(
      /no function export missing/,
    );
    // vitest runs this package's TypeScript sources: there is no decode-worker.js beside decode-pool.ts.
    expect(await DecodePool.open({ size: 1 })).toBeUndefined();
  });

  it('closing fails what is still queued or running with E_DECODE_POOL_CLOSED', async () => {
    const p = (await DecodePool.open({ size: 1, workerUrl: pathToFileURL(WORKER) }))!;
    const errs: string[] = [];
    for (let i = 0; i < 2; i++)
      p.sample(join(dir, 'long.mp4'), { seek: false }).subscribe({
        error: (e: { code?: string }) => errs.push(e.code ?? ''),
      });
    await p.close();
    expect(errs).toEqual(['E_DECODE_POOL_CLOSED', 'E_DECODE_POOL_CLOSED']);
    await expect(firstValueFrom(p.sample(join(dir, 'other.mp4')))).rejects.toMatchObject({
      code: 'E_DECODE_POOL_CLOSED',
    });
  });
});
