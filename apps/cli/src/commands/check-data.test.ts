import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

describe('kvc synth + check-data', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvc-cli-check-'));
    const r = await runCaptured([
      'synth',
      '--out',
      dir,
      '--train',
      '4',
      '--val',
      '1',
      '--seed',
      '5',
      '--size',
      '32',
      '--frames',
      '6',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.at(-1)).toMatchObject({ type: 'result', command: 'synth', videos: 5, seed: 5 });
    // break one sample's video
    await writeFile(join(dir, 'train', 'videos', 'synth_train_0002.mp4'), 'truncated');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--json: usable samples with probe data, the broken one skipped with its code', async () => {
    const r = await runCaptured(['check-data', '--data', dir, '--split', 'train', '--json']);
    expect(r.code).toBe(0);
    const result = jsonLines(r.stdout).at(-1) as {
      usable: Record<string, unknown>[];
      skipped: Record<string, unknown>[];
    };
    expect(result.usable.map((u) => u.id)).toEqual(['synth_train_0000', 'synth_train_0001', 'synth_train_0003']);
    for (const u of result.usable) expect(u).toMatchObject({ frameCount: 6, width: 32, height: 32, fps: 4 });
    expect(typeof result.usable[0]!.caption).toBe('string');
    expect(result.skipped).toEqual([
      {
        id: 'synth_train_0002',
        file: join(dir, 'train', 'videos', 'synth_train_0002.mp4'),
        code: 'E_VIDEO_UNDECODABLE',
        reason: expect.any(String),
      },
    ]);
  });

  it('human output lists counts and every skipped sample', async () => {
    const r = await runCaptured(['check-data', '--data', dir, '--split', 'train']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4 labels, 3 usable, 1 skipped');
    expect(r.stdout).toMatch(/skip synth_train_0002: \[E_VIDEO_UNDECODABLE\]/);
  });

  it('reads a Hugging Face folder (metadata.csv with a split column) and reports every refused path', async () => {
    const hf = await mkdtemp(join(tmpdir(), 'kvc-cli-hf-'));
    try {
      await mkdir(join(hf, 'clips'));
      await copyFile(join(dir, 'train', 'videos', 'synth_train_0000.mp4'), join(hf, 'clips', 'a.mp4'));
      const rows = [
        'file_name,caption,split',
        'clips/a.mp4,"빨간 원, 왼쪽으로",train',
        '../outside.mp4,밖,train',
        '"concat:clips/a.mp4|clips/a.mp4",프로토콜,train',
        `${join(hf, 'clips', 'a.mp4')},절대 경로,train`,
        'clips/a.mp4,검증,val',
      ];
      await writeFile(join(hf, 'metadata.csv'), rows.join('\n'));
      const r = await runCaptured(['check-data', '--data', hf, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const result = jsonLines(r.stdout).at(-1) as {
        layout: string;
        split: string;
        usable: { id: string; caption: string }[];
        skipped: { id: string; code: string; file: string }[];
      };
      expect(result).toMatchObject({ layout: 'hf', split: 'train' });
      expect(result.usable.map((u) => [u.id, u.caption])).toEqual([['clips/a', '빨간 원, 왼쪽으로']]);
      expect(result.skipped.map((s) => [s.code, s.file])).toEqual([
        ['E_VIDEO_PATH_OUTSIDE', `${join(hf, 'metadata.csv')}:3`],
        ['E_VIDEO_PATH_ABSOLUTE', `${join(hf, 'metadata.csv')}:5`],
        ['E_VIDEO_PATH_PROTOCOL', `${join(hf, 'metadata.csv')}:4`],
      ]);
      const allowed = await runCaptured(['check-data', '--data', hf, '--allow-absolute-paths']);
      expect(allowed.stdout).toMatch(/Hugging Face folder: .*metadata\.csv\)\n {2}4 rows, 2 usable, 2 skipped/);
    } finally {
      await rm(hf, { recursive: true, force: true });
    }
  });

  it('a path that is no dataset exits non-zero naming the three layouts', async () => {
    const r = await runCaptured(['check-data', '--data', join(dir, 'train', 'videos')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[E_DATASET_LAYOUT\]/);
    expect(r.stderr).toMatch(/hint: .*AIHub.*JSONL manifests.*Hugging Face/);
  });

  it('a missing split exits non-zero with the hint', async () => {
    const r = await runCaptured(['check-data', '--data', dir, '--split', 'test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[E_SPLIT_MISSING\]/);
    expect(r.stderr).toMatch(/hint: .*--split/);
  });

  it('reports FIFO labels, labels linked out or not UTF-8, and FIFO videos, without hanging', async () => {
    const labels = join(dir, 'hostile', 'labels');
    const videos = join(dir, 'hostile', 'videos');
    await mkdir(labels, { recursive: true });
    await mkdir(videos, { recursive: true });
    const outside = await mkdtemp(join(tmpdir(), 'kvc-cli-secret-'));
    try {
      await writeFile(join(outside, 'shadow'), 'root:secret-hash:19000');
      await symlink(join(outside, 'shadow'), join(labels, 'a_out.json'));
      execFileSync('mkfifo', [join(dir, 'hostile', 'pipe')]);
      await symlink(join(dir, 'hostile', 'pipe'), join(labels, 'b_fifo.json'));
      await writeFile(join(labels, 'c_euckr.json'), Buffer.from([0x7b, 0x22, 0xc7, 0xd1, 0x22, 0x7d]));
      const synthLabel = await readFile(join(dir, 'train', 'labels', 'synth_train_0000.json'));
      await writeFile(join(labels, 'd_video_fifo.json'), synthLabel);
      execFileSync('mkfifo', [join(videos, 'd_video_fifo.mp4')]);
      const r = await runCaptured(['check-data', '--data', dir, '--split', 'hostile', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('secret-hash');
      const result = jsonLines(r.stdout).at(-1) as { skipped: { id: string; code: string }[] };
      expect(result.skipped.map((s) => [s.id, s.code])).toEqual([
        ['a_out', 'E_LABEL_OUTSIDE_DATASET'],
        ['b_fifo', 'E_LABEL_NOT_FILE'],
        ['c_euckr', 'E_LABEL_NOT_UTF8'],
        ['d_video_fifo', 'E_VIDEO_NOT_FILE'],
      ]);
      const human = await runCaptured(['check-data', '--data', dir, '--split', 'hostile']);
      expect(human.stdout).toContain('4 labels, 0 usable, 4 skipped');
      expect(human.stdout).toMatch(/skip d_video_fifo: \[E_VIDEO_NOT_FILE\] video is a FIFO/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
