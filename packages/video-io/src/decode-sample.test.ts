import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom, of } from 'rxjs';
import { type DatasetEvent, SKIP_CODES, type SampleEvent, skip } from './dataset-events.js';
import { MAX_ASPECT_RATIO } from './frame-bounds.js';
import { probeSamples } from './operators/probe-samples.js';
import { decodeSample, decodeSkip } from './decode-sample.js';
import { DecodeError, FfmpegNotFoundError } from './errors.js';
import { frameIndexOf, makeIndexedVideo, tempDir } from './__tests__/helpers.js';

const sampleOf = (id: string, video: string): SampleEvent => ({ type: 'sample', id, video, caption: 'c' });

describe('decodeSample / decodeSkip', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-decode-sample-'));
    await makeIndexedVideo(join(dir, 'good.mp4'), 5, 16, 16);
    await writeFile(join(dir, 'bad.mp4'), 'not a video');
    await makeIndexedVideo(join(dir, 'flat.mp4'), 2, 2 * MAX_ASPECT_RATIO + 2, 2);
  });
  afterAll(() => cleanup());

  it('decodes one sample into one frames event', async () => {
    const s = sampleOf('good', join(dir, 'good.mp4'));
    const ev = await lastValueFrom(decodeSample(s, { numFrames: 3 }));
    expect(ev.sample).toBe(s);
    expect(ev.video.frames.map(frameIndexOf)).toEqual([0, 2, 4]);
  });

  it('an undecodable video becomes a listed skip code with the reason', async () => {
    const s = sampleOf('bad', join(dir, 'bad.mp4'));
    const err = await lastValueFrom(decodeSample(s)).catch((e: unknown) => e);
    const ev = decodeSkip(s, err);
    expect(ev).toMatchObject({ type: 'skip', id: 'bad', file: s.video, code: 'E_VIDEO_UNDECODABLE' });
    expect(ev.reason).toBe((err as Error).message);
    expect(SKIP_CODES).toContain(ev.code);
    expect(decodeSkip(s, new DecodeError('E_NO_FRAMES', 'no frame')).code).toBe('E_NO_FRAMES');
    expect(decodeSkip(s, 'a string').reason).toBe('a string');
  });

  it('a video of absurd dimensions is refused before decoding, by the decoder and by the probe', async () => {
    const s = sampleOf('flat', join(dir, 'flat.mp4'));
    const err = await lastValueFrom(decodeSample(s)).catch((e: unknown) => e);
    expect(decodeSkip(s, err)).toMatchObject({ code: 'E_VIDEO_DIMENSIONS', reason: expect.stringMatching(/flatter/) });
    const probed = await lastValueFrom(of<DatasetEvent>(s).pipe(probeSamples()));
    expect(probed).toMatchObject({ type: 'skip', id: 'flat', code: 'E_VIDEO_DIMENSIONS' });
  });

  it("a missing ffmpeg is not the video's fault: it is rethrown, not turned into a skip", () => {
    const err = new FfmpegNotFoundError('E_FFMPEG_NOT_FOUND', 'no ffmpeg');
    expect(() => decodeSkip(sampleOf('x', '/x.mp4'), err)).toThrow(err);
  });

  it('skip codes are one typed list: an unlisted code does not compile', () => {
    // @ts-expect-error 'undecodable-video' is not in SKIP_CODES (E_VIDEO_UNDECODABLE is that reason).
    const ev = skip('x', '/x.mp4', 'undecodable-video', 'r');
    expect(SKIP_CODES as readonly string[]).not.toContain(ev.code);
  });
});
