import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { ffmpegArgs, runFfmpeg } from './ffmpeg-process.js';
import { resetFfmpegBinaries } from './ffmpeg-binaries.js';
import { tempDir } from './__tests__/helpers.js';

/**
 * A stand-in ffmpeg (FFMPEG_PATH): answers -version, writes its output, closes stdout, and exits only later,
 * as a busy machine's ffmpeg can look from node (the exit observed long after stdout's end). With
 * fluent-ffmpeg such a run failed with "Output stream closed" 20 ms after stdout closed: a good decode
 * skipped (demo-e2e and cache-shards saw it in CI).
 */
const fake = (exitCode: number) => `#!/bin/sh
case "$*" in *-version*) echo "ffmpeg version 0-fake"; exit 0;; esac
case "$*" in *-formats*) printf 'File formats:\n --\n DE rawvideo        raw video\n'; exit 0;; esac
printf 'frame-bytes'
exec 1>&-
echo "some progress line" >&2
${exitCode ? 'echo "  [mp4 @ 0x1] detail" >&2; echo "Invalid data found when processing input" >&2' : ''}
sleep 0.3
exit ${exitCode}
`;

describe('runFfmpeg', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  const saved = process.env.FFMPEG_PATH;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('kvc-ffmpeg-process-'));
    for (const code of [0, 1]) {
      await writeFile(join(dir, `ffmpeg-${code}`), fake(code));
      await chmod(join(dir, `ffmpeg-${code}`), 0o755);
    }
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = saved;
    resetFfmpegBinaries();
    await cleanup();
  });
  const withFake = (code: number) => {
    process.env.FFMPEG_PATH = join(dir, `ffmpeg-${code}`);
    resetFfmpegBinaries();
  };

  it('a process that exits 300 ms after closing stdout succeeds with all its output', async () => {
    withFake(0);
    const chunks = await lastValueFrom(
      runFfmpeg({ input: 'in.mp4', outputOptions: ['-f', 'rawvideo'] }).pipe(toArray()),
    );
    expect(Buffer.concat(chunks).toString()).toBe('frame-bytes');
  });

  it('a non-zero exit fails with ffmpeg’s own error line and the stderr tail', async () => {
    withFake(1);
    const err = await lastValueFrom(runFfmpeg({ input: 'in.mp4', outputOptions: [] })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'E_FFMPEG_FAILED',
      message: 'ffmpeg exited with code 1: Invalid data found when processing input',
    });
    expect((err as { stderrTail: string }).stderrTail).toContain('some progress line');
  });

  it('builds the command line fluent-ffmpeg built: input options, -i, -y before a file, the output', () => {
    expect(
      ffmpegArgs({ input: 'a.mp4', inputOptions: ['-ss', '1'], outputOptions: ['-f', 'null'], output: 'o.mp4' }),
    ).toEqual(['-ss', '1', '-i', 'a.mp4', '-hide_banner', '-nostdin', '-y', '-f', 'null', 'o.mp4']);
    expect(ffmpegArgs({ input: 'a.mp4', outputOptions: ['-f', 'rawvideo'] })).toEqual([
      '-i',
      'a.mp4',
      '-hide_banner',
      '-nostdin',
      '-f',
      'rawvideo',
      'pipe:1',
    ]);
  });
});
