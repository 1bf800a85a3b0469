import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { lastValueFrom } from 'rxjs';
import { runFfmpeg } from './ffmpeg-process.js';
import { DEFAULT_MAX_SHORT_EDGE, MAX_VIDEO_EDGE } from './frame-bounds.js';
import { tempDir } from './__tests__/helpers.js';

const run = promisify(execFile);
const PKG = fileURLToPath(new URL('..', import.meta.url));
// The bundle goes where node finds the package's dependencies (the repo's ignored tmp/ folder).
const BUNDLE_DIR = join(PKG, '..', '..', 'tmp');
const SIDE = 8000;
const FRAMES = 4;

/** Peak RSS a decode of FRAMES frames may reach: Node itself plus, per frame, the frame and a copy in flight. */
const NODE_BASELINE = 150 * 1024 * 1024;
const frameBytes = (side: number) => side * side * 3;
const ALLOWED = NODE_BASELINE + 2 * FRAMES * frameBytes(DEFAULT_MAX_SHORT_EDGE);

describe(`decoding a ${SIDE}×${SIDE} video`, () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let child = '';
  let video = '';
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-decode-memory-'));
    await mkdir(BUNDLE_DIR, { recursive: true });
    child = join(BUNDLE_DIR, `decode-child-${process.pid}.mjs`);
    const entry = join(PKG, 'src', '__tests__', 'decode-child.ts');
    await build({
      entryPoints: [entry],
      outfile: child,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'error',
    });
    video = join(dir, 'big.mp4');
    // A solid colour compresses to a few hundred kB, yet every decoded frame is 192 MB of RGB24.
    const input = `color=c=red:s=${SIDE}x${SIDE}:d=${FRAMES}:r=1`;
    const encode = [
      '-loglevel',
      'error',
      '-frames:v',
      String(FRAMES),
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
    ];
    await lastValueFrom(runFfmpeg({ input, inputOptions: ['-f', 'lavfi'], outputOptions: encode, output: video }), {
      defaultValue: undefined,
    });
  }, 300_000);
  afterAll(async () => {
    await cleanup();
    await rm(child, { force: true });
  });

  const decode = async (bound?: number) => {
    const { stdout } = await run(process.execPath, [child, video, String(FRAMES), ...(bound ? [String(bound)] : [])]);
    return JSON.parse(stdout) as { maxRssBytes: number; frames: number; width: number; height: number };
  };

  it(`stays under ${Math.round(ALLOWED / 2 ** 20)} MB: ffmpeg scales the frames to the decode bound`, async () => {
    const r = await decode();
    console.log(`bounded: peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MB, frames ${r.width}x${r.height}`);
    expect(r).toMatchObject({ frames: FRAMES, width: DEFAULT_MAX_SHORT_EDGE, height: DEFAULT_MAX_SHORT_EDGE });
    expect(r.maxRssBytes).toBeLessThan(ALLOWED);
  }, 300_000);

  it('without the bound the same decode needs the full frames (what the bound saves)', async () => {
    const r = await decode(MAX_VIDEO_EDGE);
    console.log(`unbounded: peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MB, frames ${r.width}x${r.height}`);
    expect(r).toMatchObject({ frames: FRAMES, width: SIDE, height: SIDE });
    expect(r.maxRssBytes).toBeGreaterThan(FRAMES * frameBytes(SIDE));
    expect(r.maxRssBytes).toBeGreaterThan(ALLOWED);
  }, 300_000);
});
