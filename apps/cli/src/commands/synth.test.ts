import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTH_LIMITS, extractAttributes } from '@kvc/video-io';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

describe('kvc synth', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvc-cli-synth-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the AIHub layout with progress events and the result last', async () => {
    const r = await runCaptured([
      'synth',
      '--out',
      dir,
      '--train',
      '3',
      '--val',
      '2',
      '--seed',
      '9',
      '--size',
      '32',
      '--frames',
      '4',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.some((l) => l.type === 'progress')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'result', command: 'synth', train: 3, val: 2, seed: 9, videos: 5 });
    expect((await readdir(join(dir, 'train', 'labels'))).sort()).toEqual([
      'synth_train_0000.json',
      'synth_train_0001.json',
      'synth_train_0002.json',
    ]);
    expect((await readdir(join(dir, 'val', 'videos'))).sort()).toEqual(['synth_val_0000.mp4', 'synth_val_0001.mp4']);
    const label = JSON.parse(await readFile(join(dir, 'val', 'labels', 'synth_val_0001.json'), 'utf8')) as {
      annotation: { description_kr: string };
      attributes: object;
    };
    expect(extractAttributes(label.annotation.description_kr)).toEqual(label.attributes);
  });

  it('rejects a bad count with a clear error', async () => {
    const r = await runCaptured(['synth', '--out', dir, '--train', 'many']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[E_BAD_ARGUMENT\] --train must be a non-negative integer/);
  });

  it('refuses sizes out of bounds up front with an input error (nothing written)', async () => {
    const out = join(dir, 'huge');
    const big = String(SYNTH_LIMITS.size + 2);
    const r = await runCaptured(['synth', '--out', out, '--size', big, '--json']);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_BAD_ARGUMENT' });
    expect(r.stderr).toContain(`--size: size must be an integer in [16, ${SYNTH_LIMITS.size}], got ${big}`);
    // each bound alone is fine, together they exceed the memory a clip may take
    const frames = String(Math.floor(SYNTH_LIMITS.clipBytes / (SYNTH_LIMITS.size ** 2 * 3)) + 1);
    const both = await runCaptured(['synth', '--out', out, '--size', String(SYNTH_LIMITS.size), '--frames', frames]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/\[E_BAD_ARGUMENT\] --size: a \d+-frame .* clip needs \d+ MiB in memory/);
    for (const fps of ['Infinity', '0', 'abc']) {
      const f = await runCaptured(['synth', '--out', out, '--fps', fps]);
      expect(f.stderr, fps).toMatch(/\[E_BAD_ARGUMENT\] --fps: fps must be a number/);
    }
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});
