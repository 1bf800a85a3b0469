/**
 * `kvc caption`: argument and run-folder refusals, before any model or video is touched.
 * Captioning real files with a trained run (and a broken file among them) is tested end to end
 * in test/pipeline-train.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

let run: string;
beforeAll(async () => {
  run = await mkdtemp(join(tmpdir(), 'kvc-cli-caption-'));
  await writeFile(join(run, 'config.json'), '{}');
});
afterAll(async () => {
  await rm(run, { recursive: true, force: true });
});

describe('kvc caption', () => {
  it('needs at least one video and --run', async () => {
    expect((await runCaptured(['caption', '--run', run])).code).not.toBe(0);
    expect((await runCaptured(['caption', 'a.mp4'])).code).not.toBe(0);
  });

  it('refuses a folder that is not a run', async () => {
    const r = await runCaptured(['caption', 'a.mp4', '--run', join(run, 'missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[E_RUN_NOT_FOUND]');
  });

  it('--checkpoint last on a run without checkpoints: one JSON error line', async () => {
    const r = await runCaptured(['caption', 'a.mp4', '--run', run, '--checkpoint', 'last', '--json']);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'error', code: 'E_NO_CHECKPOINT' });
  });
});
