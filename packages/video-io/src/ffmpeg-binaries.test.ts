import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { ffmpegWarningOnce, resetFfmpegBinaries, resolveFfmpeg, resolveFfprobe } from './ffmpeg-binaries.js';

const saved = { FFMPEG_PATH: process.env.FFMPEG_PATH, FFPROBE_PATH: process.env.FFPROBE_PATH, PATH: process.env.PATH };
const embedded = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetFfmpegBinaries();
});

describe('ffmpeg binaries', () => {
  it('uses FFMPEG_PATH when it works', () => {
    process.env.FFMPEG_PATH = embedded;
    resetFfmpegBinaries();
    expect(resolveFfmpeg()).toMatchObject({ path: embedded, source: 'env' });
    expect(resolveFfmpeg().version).toMatch(/^ffmpeg version/);
  });

  it('falls back past a broken FFMPEG_PATH and an empty PATH to the embedded binary, and warns once', () => {
    process.env.FFMPEG_PATH = '/nonexistent/ffmpeg';
    process.env.PATH = '/nonexistent-bin';
    resetFfmpegBinaries();
    expect(resolveFfmpeg()).toMatchObject({ path: embedded, source: 'embedded' });
    const warning = ffmpegWarningOnce();
    expect(warning).toMatch(/4\.1/);
    expect(ffmpegWarningOnce()).toBeUndefined();
    expect(resolveFfprobe().source).toBe('embedded');
  });

  it('caches the answer (the -version check runs once)', () => {
    const first = resolveFfmpeg();
    process.env.FFMPEG_PATH = '/nonexistent/ffmpeg';
    expect(resolveFfmpeg()).toBe(first);
  });
});
