import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { runFfmpeg } from './ffmpeg-process.js';
import { decodeFramesAt, sampleVideo } from './sample-video.js';
import { SEGMENTS_PER_RUN, decodeFramesSeeking } from './decode-frames-seeking.js';
import { planResize, type ResizeSpec } from './resize-plan.js';
import { probeVideo } from './probe-video.js';
import { uniformIndices } from './uniform-indices.js';
import { makeNoisyVideo, tempDir } from './__tests__/helpers.js';

const makeVideo = (file: string, gop: number, seconds = 20): Promise<void> => makeNoisyVideo(file, gop, seconds);

const identity = <T>(f: T) => f;

describe('decodeFramesSeeking (the sampled frames by seeking, checked against the scan)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-seek-'));
    await makeVideo(join(dir, 'gop20.mp4'), 20);
    await makeVideo(join(dir, 'short.mp4'), 20, 2);
    // 12 frames of 60 s: 12 segments, more than one ffmpeg run takes (SEGMENTS_PER_RUN).
    await makeVideo(join(dir, 'long.mp4'), 20, 60);
    await lastValueFrom(
      runFfmpeg({
        input: join(dir, 'gop20.mp4'),
        outputOptions: ['-loglevel', 'error', '-y', '-c', 'copy', '-metadata:s:v', 'rotate=90'],
        output: join(dir, 'rotated.mp4'),
      }),
      { defaultValue: undefined },
    );
  }, 60_000);
  afterAll(() => cleanup());

  it.each([
    ['gop20.mp4', undefined, 8],
    ['gop20.mp4', undefined, 3],
    ['long.mp4', undefined, 12],
    ['rotated.mp4', undefined, 8],
    ['gop20.mp4', { mode: 'shortest', size: 32, centerCrop: true } as ResizeSpec, 8],
  ] as const)(
    '%s, resize %j, %i frames: the scan’s frames, bit for bit',
    async (name, resize, n) => {
      const file = join(dir, name);
      const probe = await firstValueFrom(probeVideo(file));
      const unique = [...new Set(uniformIndices(probe.frameCount, n))];
      if (name === 'long.mp4') expect(unique.length).toBeGreaterThan(SEGMENTS_PER_RUN);
      const plan = planResize(probe.width, probe.height, resize, 2160);
      const sought = await firstValueFrom(decodeFramesSeeking(file, unique, probe.frameCount, plan, identity));
      const scanned = await lastValueFrom(
        decodeFramesAt(file, unique, probe.width, probe.height, resize, 2160).pipe(toArray()),
      );
      expect(sought, 'seeking should pay with a keyframe every 20 frames').toBeDefined();
      expect(sought!.length).toBe(unique.length);
      sought!.forEach((f, i) => {
        expect([f.width, f.height]).toEqual([scanned[i]!.width, scanned[i]!.height]);
        expect(Buffer.from(f.data).equals(Buffer.from(scanned[i]!.data)), `frame ${unique[i]}`).toBe(true);
      });
    },
    60_000,
  );

  it('gives undefined where seeking does not pay (60 frames), and sampleVideo scans them', async () => {
    const file = join(dir, 'short.mp4');
    const probe = await firstValueFrom(probeVideo(file));
    const plan = planResize(probe.width, probe.height, undefined, 2160);
    const unique = [...new Set(uniformIndices(probe.frameCount, 8))];
    expect(await firstValueFrom(decodeFramesSeeking(file, unique, probe.frameCount, plan, identity))).toBeUndefined();
    expect((await firstValueFrom(sampleVideo(file))).frames).toHaveLength(8);
  });

  it('sampleVideo gives the same sample with and without seeking', async () => {
    const file = join(dir, 'gop20.mp4');
    const [a, b] = await Promise.all([
      firstValueFrom(sampleVideo(file, { numFrames: 8 })),
      firstValueFrom(sampleVideo(file, { numFrames: 8, seek: false })),
    ]);
    expect(a.indices).toEqual(b.indices);
    expect(a.substituted).toEqual([]);
    expect(a.probe.packets).toBeUndefined(); // used for the plan, not kept with the frames
    a.frames.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(b.frames[i]!.data))).toBe(true));
  }, 60_000);
});
