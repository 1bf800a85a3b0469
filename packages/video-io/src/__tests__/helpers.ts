/** Test helpers: videos with known pixels, generated on the fly into a temporary folder. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { lastValueFrom } from 'rxjs';
import { encodeVideo } from '../encode-video.js';
import { runFfmpeg } from '../ffmpeg-process.js';
import type { RgbFrame } from '../rgb-frame.js';

/** The red level that identifies frame i (distinct by 12 levels). */
export const codeOf = (i: number): number => 8 + 12 * i;

/** Frame i: R = codeOf(i), G = x gradient, B = y gradient (so orientation is visible). */
export function indexedFrame(i: number, width: number, height: number): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = codeOf(i);
      data[o + 1] = Math.round((x * 255) / (width - 1));
      data[o + 2] = Math.round((y * 255) / (height - 1));
    }
  }
  return { width, height, data };
}

/** Encode a near-lossless video whose frame i is {@link indexedFrame}(i). */
export async function makeIndexedVideo(
  file: string,
  frames: number,
  width = 32,
  height = 16,
  rotate?: number,
): Promise<void> {
  const list = Array.from({ length: frames }, (_, i) => indexedFrame(i, width, height));
  const target = rotate === undefined ? file : `${file}.upright.mp4`;
  await lastValueFrom(encodeVideo(list, target, { fps: 5, pixFmt: 'yuv444p', crf: 0 }), { defaultValue: undefined });
  if (rotate !== undefined) {
    // FFmpeg 4.1 writes the rotate tag only when stream-copying, as phones' files have it
    await lastValueFrom(
      runFfmpeg({
        input: target,
        outputOptions: ['-loglevel', 'error', '-y', '-c', 'copy', '-metadata:s:v', `rotate=${rotate}`],
        output: file,
      }),
      { defaultValue: undefined },
    );
  }
}

/** Mean of one channel. */
export function channelMean(f: RgbFrame, c: 0 | 1 | 2): number {
  let s = 0;
  for (let p = c; p < f.data.length; p += 3) s += f.data[p]!;
  return s / (f.width * f.height);
}

/** Which frame index a decoded frame shows (nearest code). */
export function frameIndexOf(f: RgbFrame): number {
  return Math.round((channelMean(f, 0) - 8) / 12) + 0; // + 0 turns -0 into 0
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Pids of running processes whose command line contains `needle` (Linux /proc). */
export function pidsWithArg(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(needle) && state !== 'Z') out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Poll until `cond()` holds (gives up after `tries` × 50 ms). */
export async function waitFor(cond: () => boolean, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** `seconds` of noisy test pattern at 30 fps, H.264 with B-frames (3) and a keyframe every `gop` frames. */
export async function makeNoisyVideo(file: string, gop: number, seconds: number, size = '64x48'): Promise<void> {
  await lastValueFrom(
    runFfmpeg({
      input: `testsrc2=s=${size}:r=30:d=${seconds},noise=alls=20:allf=t+u`,
      inputOptions: ['-f', 'lavfi'],
      outputOptions: ['-loglevel', 'error', '-y', '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(gop)].concat([
        '-bf',
        '3',
        '-pix_fmt',
        'yuv420p',
      ]),
      output: file,
    }),
    { defaultValue: undefined },
  );
}
