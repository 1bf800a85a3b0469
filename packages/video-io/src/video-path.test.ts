import { describe, expect, it } from 'vitest';
import { resolveVideoPath } from './video-path.js';

const DIR = '/data/set';

describe('resolveVideoPath', () => {
  it.each([
    // [raw, code or the resolved path]
    ['clips/a.mp4', '/data/set/clips/a.mp4'],
    ['  ./clips/b c.mp4 ', '/data/set/clips/b c.mp4'],
    ['clips/..a.mp4', '/data/set/clips/..a.mp4'], // a name that starts with two dots is no parent link
    ['', 'E_VIDEO_PATH_INVALID'],
    ['a\0.mp4', 'E_VIDEO_PATH_INVALID'],
    ['..', 'E_VIDEO_PATH_OUTSIDE'],
    ['clips/../../x.mp4', 'E_VIDEO_PATH_OUTSIDE'],
    ['clips\\..\\..\\x.mp4', 'E_VIDEO_PATH_OUTSIDE'],
    ['/data/set/clips/a.mp4', 'E_VIDEO_PATH_ABSOLUTE'],
    ['concat:a.mp4|b.mp4', 'E_VIDEO_PATH_PROTOCOL'],
    ['https://x/a.mp4', 'E_VIDEO_PATH_PROTOCOL'],
    ['pipe:0', 'E_VIDEO_PATH_PROTOCOL'],
    ['file:a.mp4', 'E_VIDEO_PATH_PROTOCOL'],
    ['subfile,,start,0,end,9,,:a.mp4', 'E_VIDEO_PATH_PROTOCOL'],
    ['12:30 clip.mp4', 'E_VIDEO_PATH_PROTOCOL'], // what ffmpeg would read as protocol "12"
    ['./12:30 clip.mp4', '/data/set/12:30 clip.mp4'], // ... and how to name that file
    ['clips/a:b.mp4', '/data/set/clips/a:b.mp4'],
  ])('%j', (raw, expected) => {
    const r = resolveVideoPath(raw, DIR);
    expect(r.ok ? r.path : r.code).toBe(expected);
  });

  it('absolute paths only when allowed, and never a protocol', () => {
    expect(resolveVideoPath('/videos/a.mp4', DIR, { allowAbsolute: true })).toEqual({
      ok: true,
      path: '/videos/a.mp4',
    });
    expect(resolveVideoPath('file:/videos/a.mp4', DIR, { allowAbsolute: true })).toMatchObject({
      ok: false,
      code: 'E_VIDEO_PATH_PROTOCOL',
    });
  });
});
