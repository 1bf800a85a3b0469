import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { packetCountPlausible, parseProbeJson, probeVideo, rotationOf } from './probe-video.js';
import { makeIndexedVideo, tempDir } from './__tests__/helpers.js';
import { mkfifo } from './__tests__/mkfifo.js';
import { runFfprobeJson } from './ffmpeg-process.js';

describe('parseProbeJson', () => {
  const stream = {
    codec_type: 'video',
    codec_name: 'h264',
    width: 40,
    height: 20,
    r_frame_rate: '30000/1001',
    avg_frame_rate: '0/0',
  };
  it('prefers the decoded frame count, then the packets read, then the container, then fps × duration', () => {
    expect(
      parseProbeJson('f', { streams: [{ ...stream, nb_read_frames: '7', nb_read_packets: '8', nb_frames: '9' }] }),
    ).toMatchObject({
      frameCount: 7,
      frameCountSource: 'decoded',
    });
    expect(parseProbeJson('f', { streams: [{ ...stream, nb_read_packets: '8', nb_frames: '9' }] })).toMatchObject({
      frameCount: 8,
      frameCountSource: 'packets',
    });
    expect(parseProbeJson('f', { streams: [{ ...stream, nb_frames: '9' }] })).toMatchObject({
      frameCount: 9,
      frameCountSource: 'container',
    });
    expect(parseProbeJson('f', { streams: [{ ...stream, duration: '2.002' }] })).toMatchObject({
      frameCount: 60,
      frameCountSource: 'estimated',
    });
  });
  it('trusts a packet count only near fps × duration (else the stream is decoded to count)', () => {
    const at = (packets: number, duration = '10', extra = {}) =>
      packetCountPlausible(
        parseProbeJson('f', {
          streams: [{ ...stream, avg_frame_rate: '30/1', duration, nb_read_packets: String(packets), ...extra }],
        }),
      );
    expect([at(300), at(302), at(298), at(303), at(297)]).toEqual([true, true, true, true, true]); // 1 % of 300
    expect([at(304), at(296)]).toEqual([false, false]);
    expect(at(600)).toBe(false); // two packets a frame (field-coded)
    expect(at(2, '0.05')).toBe(true); // 1.5 expected: within 2 frames
    expect(at(300, 'N/A')).toBe(false); // no duration to check against
    // a count from decoding or from the container header is not a packet count
    expect(packetCountPlausible(parseProbeJson('f', { streams: [{ ...stream, nb_read_frames: '300' }] }))).toBe(false);
  });
  it('reads fps from avg_frame_rate, else r_frame_rate', () => {
    expect(parseProbeJson('f', { streams: [stream] }).fps).toBeCloseTo(29.97, 2);
    expect(parseProbeJson('f', { streams: [{ ...stream, avg_frame_rate: '25/1' }] }).fps).toBe(25);
  });
  it.each([
    [{ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] }, 270, 20, 40],
    [{ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }] }, 90, 20, 40],
    [{ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 180 }] }, 180, 40, 20],
    [{ tags: { rotate: '90' } }, 270, 20, 40],
    [{ tags: { rotate: '180' } }, 180, 40, 20],
    [{}, 0, 40, 20],
  ])('rotation %j → %i°, display %i×%i', (extra, deg, w, h) => {
    const p = parseProbeJson('f', { streams: [{ ...stream, ...extra }] });
    expect([p.rotationDeg, p.width, p.height, p.codedWidth, p.codedHeight]).toEqual([deg, w, h, 40, 20]);
    expect(rotationOf(extra)).toBe(deg);
  });
  it('a file without a video stream is a typed error', () => {
    expect(() => parseProbeJson('f', { streams: [{ codec_type: 'audio' }] })).toThrow(
      expect.objectContaining({ code: 'E_NO_VIDEO_STREAM' }),
    );
  });
});

describe('probeVideo (ffprobe)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-probe-'));
    await makeIndexedVideo(join(dir, 'plain.mp4'), 6, 32, 16);
    await makeIndexedVideo(join(dir, 'rot.mp4'), 6, 32, 16, 90);
    await writeFile(join(dir, 'garbage.mp4'), 'this is not a video');
  });
  afterAll(() => cleanup());

  it('counts frames (by packets, as many as decoding finds), reads fps and duration', async () => {
    const p = await firstValueFrom(probeVideo(join(dir, 'plain.mp4')));
    const decoded = await firstValueFrom(runFfprobeJson(join(dir, 'plain.mp4'), ['-count_frames', '-show_streams']));
    const frames = Number((decoded as { streams: { nb_read_frames: string }[] }).streams[0]!.nb_read_frames);
    expect(p.frameCount).toBe(frames);
    expect(p).toMatchObject({
      frameCount: 6,
      frameCountSource: 'packets',
      fps: 5,
      width: 32,
      height: 16,
      rotationDeg: 0,
      codec: 'h264',
    });
    expect(p.durationSec).toBeCloseTo(1.2, 1);
    expect(p.packets).toBeUndefined();
    // With listPackets the same run lists them: one per frame, with the stream's time base.
    const listed = await firstValueFrom(probeVideo(join(dir, 'plain.mp4'), { listPackets: true }));
    expect({ ...listed, packets: undefined }).toEqual({ ...p, packets: undefined });
    expect(listed.packets!.packets).toHaveLength(frames);
    expect(listed.packets!.timeBase).toBeGreaterThan(0);
    expect(listed.packets!.packets.filter((k) => k.key).length).toBeGreaterThan(0);
  });
  it('swaps the display size of a rotated video', async () => {
    const p = await firstValueFrom(probeVideo(join(dir, 'rot.mp4')));
    expect([p.width, p.height, p.codedWidth, p.codedHeight]).toEqual([16, 32, 32, 16]);
    expect([90, 270]).toContain(p.rotationDeg);
  });
  it('an undecodable file errors with file, reason and ffprobe stderr', async () => {
    const file = join(dir, 'garbage.mp4');
    const err = await firstValueFrom(probeVideo(file)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_PROBE_FAILED', context: { file } });
    expect(String((err as { context: { stderrTail: string } }).context.stderrTail)).toMatch(/invalid data/i);
  });
  it('a FIFO or a directory is named as such, never handed to ffprobe (a FIFO would block it)', async () => {
    const fifo = join(dir, 'pipe.mp4');
    mkfifo(fifo);
    for (const [file, kind] of [
      [fifo, /FIFO/],
      [dir, /directory/],
    ] as const) {
      const err = await firstValueFrom(probeVideo(file)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_NOT_A_FILE', context: { file } });
      expect((err as Error).message).toMatch(kind);
    }
  });
});
