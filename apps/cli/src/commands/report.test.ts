import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { encodeVideo, renderClip } from '@kvc/video-io';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

describe('kvc report', () => {
  let dir = '';
  let runDir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvc-cli-report-'));
    runDir = join(dir, 'run');
    await mkdir(runDir);
    const frames = renderClip(
      { color: 'blue', shape: 'circle', direction: 'left', background: 'white' },
      { size: 32, frames: 6, crossOffset: 16 },
    );
    await lastValueFrom(encodeVideo(frames, join(runDir, 'clip.mp4'), { fps: 6 }), { defaultValue: undefined });
    const steps = [1, 2, 3].map((s) =>
      JSON.stringify({ type: 'step', stage: 'stage1', epoch: 1, step: s, loss: 3 / s, lr: 1e-3 }),
    );
    await writeFile(
      join(runDir, 'events.jsonl'),
      [
        ...steps,
        '{"type":"evaluation","stage":"stage1","epoch":1,"metrics":{"meteor":0.2}}',
        '{"type":"run-end"}',
      ].join('\n'),
    );
    const preds = [
      {
        id: 'a',
        video: 'clip.mp4',
        prediction: '파란 원이 왼쪽으로 움직인다.',
        reference: '파란 원',
        metrics: { meteor: 0.4 },
        eos_reached: true,
      },
      { id: 'b', video: 'missing.mp4', prediction: '?', reference: '!', metrics: {} },
    ];
    await writeFile(join(runDir, 'predictions.jsonl'), preds.map((p) => JSON.stringify(p)).join('\n'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--json: writes <run>/report.html and ends with the result line', async () => {
    const r = await runCaptured(['report', '--run', runDir, '--json']);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines[0]).toMatchObject({
      type: 'warning',
      message: expect.stringContaining('1 of 2 gallery samples have no frames'),
    });
    const result = lines.at(-1)!;
    expect(result).toEqual({
      type: 'result',
      command: 'report',
      report: join(runDir, 'report.html'),
      charts: 3,
      samples: 2,
      missing: ['config.json', 'training_log.csv', 'metrics.json'],
      status: 'finished',
      skippedLines: 0,
    });
    const html = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(3);
    expect(html).toContain('파란 원이 왼쪽으로 움직인다.');
  });

  it('--out, --samples and --frames; prints the path for people', async () => {
    const out = join(dir, 'elsewhere.html');
    const r = await runCaptured(['report', '--run', runDir, '--out', out, '--samples', '1', '--frames', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`report written: ${out}`);
    expect(r.stdout).toMatch(/samples\s+1/);
    const html = await readFile(out, 'utf8');
    expect((html.match(/<article class="sample">/g) ?? []).length).toBe(1);
  });

  it('a missing run folder is a clear error with a hint; bad numbers are rejected', async () => {
    const r = await runCaptured(['report', '--run', join(dir, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kvc report: error [E_RUN_NOT_FOUND]');
    expect(r.stderr).toMatch(/hint: .*kvc report --run/);
    const j = await runCaptured(['report', '--run', join(dir, 'nope'), '--json']);
    expect(JSON.parse(j.stdout.trim())).toMatchObject({ type: 'error', code: 'E_RUN_NOT_FOUND' });
    const bad = await runCaptured(['report', '--run', runDir, '--samples', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[E_BAD_ARGUMENT]');
  });
});
