/**
 * `kvc eval`: the metrics table's layout, and the refusals that happen before any model loads
 * (not a run folder, no checkpoint) in human and JSON mode. Generating and scoring on a trained
 * run is tested end to end in test/pipeline-train.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';
import { formatEvalTable } from './eval.js';

let run: string;
beforeAll(async () => {
  run = await mkdtemp(join(tmpdir(), 'kvc-cli-eval-'));
  await writeFile(join(run, 'config.json'), '{}');
});
afterAll(async () => {
  await rm(run, { recursive: true, force: true });
});

describe('kvc eval', () => {
  it('prints scores first, counts as integers, and where the files went', () => {
    const text = formatEvalTable({
      checkpoint: 'best',
      split: 'val',
      dir: '/r/eval/best-val',
      skipped: 1,
      files: { predictions: '/r/eval/best-val/predictions.jsonl', metrics: '/r/eval/best-val/metrics.json' },
      metrics: { count: 3, empty_predictions: 0, eos_rate: 1, cider_d: 0.25, meteor: 0.5 },
    });
    expect(text.split('\n')).toEqual([
      'checkpoint best on val: 3 captions (1 samples skipped)',
      '  metric             value',
      '  meteor             0.5000',
      '  cider_d            0.2500',
      '  eos_rate           1.0000',
      '  empty_predictions  0',
      'wrote /r/eval/best-val/predictions.jsonl and /r/eval/best-val/metrics.json',
    ]);
  });

  it('refuses a folder that is not a run, with a hint', async () => {
    const r = await runCaptured(['eval', '--run', join(run, 'nothing-here')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[E_RUN_NOT_FOUND]');
    expect(r.stderr).toContain('hint:');
  });

  it('a run without best/ says so; --json prints the error as the one JSON line', async () => {
    const r = await runCaptured(['eval', '--run', run, '--json']);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'error', code: 'E_NO_CHECKPOINT' });
  });
});
