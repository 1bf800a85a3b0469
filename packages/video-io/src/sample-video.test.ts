import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkfifo } from './__tests__/mkfifo.js';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { sampleVideo } from './sample-video.js';
import { uniformIndices } from './uniform-indices.js';
import { type VideoProbe } from './probe-video.js';
import {
  channelMean,
  frameIndexOf,
  indexedFrame,
  makeIndexedVideo,
  pidsWithArg,
  tempDir,
  waitFor,
} from './__tests__/helpers.js';
import type { RgbFrame } from './rgb-frame.js';

/** Largest per-byte difference between two frames. */
function maxDiff(a: RgbFrame, b: RgbFrame): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

/** Rotate an RGB frame 90° counterclockwise. */
function rotateCcw(f: RgbFrame): RgbFrame {
  const { width: w, height: h } = f;
  const out = new Uint8Array(f.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // (x, y) goes to (y, w-1-x) in an h-wide image
      const o = ((w - 1 - x) * h + y) * 3;
      const s = (y * w + x) * 3;
      out[o] = f.data[s]!;
      out[o + 1] = f.data[s + 1]!;
      out[o + 2] = f.data[s + 2]!;
    }
  }
  return { width: h, height: w, data: out };
}

describe('sampleVideo', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-sample-'));
    await makeIndexedVideo(join(dir, 'long.mp4'), 20, 32, 16);
    await makeIndexedVideo(join(dir, 'short.mp4'), 5, 32, 16);
    await makeIndexedVideo(join(dir, 'rot.mp4'), 5, 32, 16, 90);
    await copyFile(join(dir, 'short.mp4'), join(dir, '한글 이름 video.mp4'));
    await writeFile(join(dir, 'garbage.mp4'), 'not a video at all');
  });
  afterAll(() => cleanup());

  it('each sampled frame shows the frame at its index (pixels within a small tolerance)', async () => {
    const v = await firstValueFrom(sampleVideo(join(dir, 'long.mp4'), { numFrames: 8 }));
    expect(v.totalFrames).toBe(20);
    expect(v.indices).toEqual(uniformIndices(20, 8));
    expect(v.frames).toHaveLength(8);
    expect(v.substituted).toEqual([]);
    v.frames.forEach((f, k) => {
      const i = v.indices[k]!;
      expect(frameIndexOf(f)).toBe(i);
      expect(maxDiff(f, indexedFrame(i, 32, 16))).toBeLessThanOrEqual(4);
    });
  });

  it('short videos repeat frames like numpy (5 frames → 0,0,1,1,2,2,3,4)', async () => {
    const v = await firstValueFrom(sampleVideo(join(dir, 'short.mp4'), { numFrames: 8 }));
    expect(v.indices).toEqual([0, 0, 1, 1, 2, 2, 3, 4]);
    expect(v.frames.map(frameIndexOf)).toEqual([0, 0, 1, 1, 2, 2, 3, 4]);
  });

  it('rotated videos: display size swapped and frames rotated', async () => {
    const v = await firstValueFrom(sampleVideo(join(dir, 'rot.mp4'), { numFrames: 3 }));
    expect([v.probe.width, v.probe.height, v.width, v.height]).toEqual([16, 32, 16, 32]);
    const ccw = v.probe.rotationDeg === 90;
    v.frames.forEach((f, k) => {
      const upright = indexedFrame(v.indices[k]!, 32, 16);
      const expected = ccw ? rotateCcw(upright) : rotateCcw(rotateCcw(rotateCcw(upright)));
      expect(maxDiff(f, expected)).toBeLessThanOrEqual(4);
    });
  });

  it('reads file names with Hangul and spaces', async () => {
    const v = await firstValueFrom(sampleVideo(join(dir, '한글 이름 video.mp4'), { numFrames: 2 }));
    expect(v.frames.map(frameIndexOf)).toEqual([0, 4]);
  });

  it('resizes inside ffmpeg (shortest side + center crop, exact size)', async () => {
    const a = await firstValueFrom(
      sampleVideo(join(dir, 'short.mp4'), { numFrames: 2, resize: { mode: 'shortest', size: 8 } }),
    );
    expect([a.width, a.height, a.frames[0]!.data.length]).toEqual([8, 8, 8 * 8 * 3]);
    expect(a.frames.map(frameIndexOf)).toEqual([0, 4]);
    // center crop keeps the middle of the x gradient
    expect(channelMean(a.frames[0]!, 1)).toBeGreaterThan(90);
    expect(channelMean(a.frames[0]!, 1)).toBeLessThan(165);
    const b = await firstValueFrom(
      sampleVideo(join(dir, 'short.mp4'), { numFrames: 2, resize: { mode: 'exact', width: 10, height: 6 } }),
    );
    expect([b.width, b.height, b.frames[1]!.data.length]).toEqual([10, 6, 10 * 6 * 3]);
  });

  it('decodes within maxShortEdge (scaled inside ffmpeg, aspect kept) and maps each frame as it arrives', async () => {
    const full = await firstValueFrom(sampleVideo(join(dir, 'long.mp4'), { numFrames: 3 }));
    const bounded = await firstValueFrom(sampleVideo(join(dir, 'long.mp4'), { numFrames: 3, maxShortEdge: 8 }));
    expect([bounded.width, bounded.height, bounded.frames[0]!.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    expect(bounded.frames.map(frameIndexOf)).toEqual(full.frames.map(frameIndexOf));
    const seen: number[] = [];
    // Keep the top-left pixel only: what is kept is what mapFrame returns.
    const mapFrame = (f: RgbFrame): RgbFrame => (seen.push(f.width), { width: 1, height: 1, data: f.data.slice(0, 3) });
    const mapped = await firstValueFrom(sampleVideo(join(dir, 'long.mp4'), { numFrames: 4, mapFrame }));
    expect(seen).toEqual([32, 32, 32, 32]);
    expect([mapped.width, mapped.height]).toEqual([1, 1]);
    expect(mapped.frames.map(frameIndexOf)).toEqual(mapped.indices);
  });

  it('frames that cannot be read are replaced by the last good one and flagged', async () => {
    // claim 10 frames for a 5-frame video: indices 5..9 cannot be decoded
    const v = await firstValueFrom(sampleVideo(join(dir, 'short.mp4'), { numFrames: 4, totalFrames: 10 }));
    expect(v.indices).toEqual([0, 3, 6, 9]);
    expect(v.substituted).toEqual([2, 3]);
    expect(v.frames.map(frameIndexOf)).toEqual([0, 3, 3, 3]);
  });

  it('a video that yields no frame is an error, or black frames with onEmpty: black', async () => {
    const err = await firstValueFrom(sampleVideo(join(dir, 'short.mp4'), { numFrames: 3, totalFrames: 0 })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'E_NO_FRAMES', context: { file: join(dir, 'short.mp4') } });
    const v = await firstValueFrom(
      sampleVideo(join(dir, 'short.mp4'), { numFrames: 3, totalFrames: 0, onEmpty: 'black' }),
    );
    expect(v.substituted).toEqual([0, 1, 2]);
    expect(v.frames.every((f) => f.data.every((b) => b === 0))).toBe(true);
  });

  it('a bad video errors with the file, the reason and ffmpeg stderr tail', async () => {
    const file = join(dir, 'garbage.mp4');
    const probe: VideoProbe = {
      file,
      frameCount: 5,
      frameCountSource: 'container',
      fps: 5,
      durationSec: 1,
      width: 32,
      height: 16,
      codedWidth: 32,
      codedHeight: 16,
      rotationDeg: 0,
      codec: 'h264',
    };
    const err = await firstValueFrom(sampleVideo(file, { probe })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DECODE_FAILED', context: { file } });
    expect((err as { context: { stderrTail: string } }).context.stderrTail).toMatch(/invalid data/i);
    expect((err as { hint?: string }).hint).toBeTruthy();
  });

  it('unsubscribing kills the ffmpeg process', async () => {
    // ffmpeg blocks forever opening a FIFO nobody writes to: it is alive until we kill it
    const fifo = join(dir, `blocked-${process.pid}.mp4`);
    mkfifo(fifo);
    const probe: VideoProbe = {
      file: fifo,
      frameCount: 5,
      frameCountSource: 'container',
      fps: 5,
      durationSec: 1,
      width: 32,
      height: 16,
      codedWidth: 32,
      codedHeight: 16,
      rotationDeg: 0,
      codec: 'h264',
    };
    const sub = sampleVideo(fifo, { probe }).subscribe({ error: () => {} });
    expect(await waitFor(() => pidsWithArg(fifo).length === 1)).toBe(true);
    const [pid] = pidsWithArg(fifo);
    sub.unsubscribe();
    expect(await waitFor(() => pidsWithArg(fifo).length === 0)).toBe(true);
    expect(pid).toBeGreaterThan(0);
  });
});
