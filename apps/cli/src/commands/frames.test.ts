import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { decodePng, encodeVideo, renderClip } from '@kvc/video-io';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

describe('kvc frames', () => {
  let dir = '';
  let video = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvc-cli-frames-'));
    video = join(dir, '테스트 영상.mp4');
    const frames = renderClip(
      { color: 'red', shape: 'square', direction: 'right', background: 'white' },
      { size: 32, frames: 5, crossOffset: 16 },
    );
    await lastValueFrom(encodeVideo(frames, video, { fps: 5 }), { defaultValue: undefined });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the sampled frames as PNG and reports indices and the display size', async () => {
    const outDir = join(dir, 'out');
    const r = await runCaptured(['frames', video, '-n', '8', '--size', '16', '--out', outDir, '--json']);
    expect(r.code).toBe(0);
    const result = jsonLines(r.stdout).at(-1) as {
      totalFrames: number;
      indices: number[];
      width: number;
      height: number;
      frames: string[];
    };
    expect(result).toMatchObject({ totalFrames: 5, indices: [0, 0, 1, 1, 2, 2, 3, 4], width: 32, height: 32 });
    expect(result.frames).toHaveLength(8);
    const png = decodePng(await readFile(result.frames[7]!));
    expect([png.width, png.height]).toEqual([16, 16]);
  });

  it('a bad video exits non-zero with file, reason, ffmpeg stderr and a hint', async () => {
    const bad = join(dir, 'bad.mp4');
    await writeFile(bad, 'definitely not a video');
    const r = await runCaptured(['frames', bad, '--out', join(dir, 'bad-out')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/kvc frames: error \[E_PROBE_FAILED\]/);
    expect(r.stderr).toContain(`file: ${bad}`);
    expect(r.stderr).toMatch(/reason: .*Invalid data/i);
    expect(r.stderr).toMatch(/stderrTail: [\s\S]*Invalid data/i);
    expect(r.stderr).toMatch(/hint: /);
  });

  it('--json on a bad video: stdout holds only the JSON error', async () => {
    const bad = join(dir, 'bad2.mp4');
    await writeFile(bad, '');
    const r = await runCaptured(['frames', bad, '--json']);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_PROBE_FAILED', context: { file: bad } });
  });
});
