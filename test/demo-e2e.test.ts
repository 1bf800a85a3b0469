/**
 * `kvc demo` end to end, reduced for CI: the real demo command as a child process (synthetic
 * data → tiny models with the LM warm-up → features → stage 1 → stage 2 → final evaluation →
 * report), shrunk with KVC_DEMO_SIZE and key=value overrides. It must visibly learn: METEOR
 * clearly above the constant-caption baseline the demo itself reports, most generations end
 * with EOS, captions that differ, background and color far above chance (the tiny CLIP is
 * pretrained on separate labelled synthetic frames first). Thresholds come from measured
 * runs with several seeds (bench/demo/RESULTS.md, "reduced demo for CI"): they sit below every
 * measured run but far above what an untrained or prefix-ignoring model scores. Then a second
 * run reuses the data, the models, the features and the finished run, and says so.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainingLog } from '@kvc/train';
import { jsonLines, kvc } from './helpers/tiny-setup.js';
import type { KvcResult } from './helpers/tiny-setup.js';

type Line = Record<string, unknown> & { type?: string };
interface DemoResult {
  type: 'result';
  command: 'demo';
  status: string;
  runDir: string;
  report: string;
  metrics: Record<string, number>;
  meteorConstantBaseline: number;
}

/** The reduced demo: 64 training / 16 validation videos, a shorter warm-up and tiny-CLIP pretraining, fewer epochs. */
const REDUCED_DEMO = {
  env: { KVC_DEMO_SIZE: 'train=64,val=16,seed=7,warmUpSteps=60,visionSteps=500' },
  // Best by METEOR, as the thresholds below were measured: with 16 validation videos and a short
  // run, the all-three attribute rate the full demo selects by is too coarse (steps of 1/16) and
  // mostly near zero, so it would pick an arbitrary epoch.
  overrides: ['train.seed=7', 'train.stage1.epochs=2', 'train.stage2.epochs=12', 'train.bestMetric=meteor'],
  // The backend the thresholds were measured on (`auto` picks it too on a CPU-only machine, a
  // software WebGPU adapter such as CI's lavapipe included; pinned so a GPU machine runs the same).
  backend: ['--backend', 'wasm'],
};

let work: string;
let first: KvcResult;
let second: KvcResult;
let firstLines: Line[];
let secondLines: Line[];
const resultOf = (lines: Line[]): DemoResult => lines.at(-1) as unknown as DemoResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-demo-e2e-'));
  const args = ['demo', '--out', join(work, 'demo'), '--json', ...REDUCED_DEMO.backend, ...REDUCED_DEMO.overrides];
  // The child inherits this process's environment (this test file runs in its own worker).
  Object.assign(process.env, REDUCED_DEMO.env);
  first = await kvc(args, { cwd: work });
  expect(first.code, first.stderr.slice(-3000)).toBe(0);
  firstLines = jsonLines(first.stdout);
  second = await kvc(args, { cwd: work });
  expect(second.code, second.stderr.slice(-3000)).toBe(0);
  secondLines = jsonLines(second.stdout);
}, 600_000);

afterAll(async () => {
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

describe('kvc demo (reduced) learns', () => {
  it('finishes, reports the demo metrics and writes the report', () => {
    const r = resultOf(firstLines);
    expect(r).toMatchObject({ type: 'result', command: 'demo', status: 'finished' });
    expect(r.metrics.count).toBe(16);
    expect(existsSync(r.report)).toBe(true);
    expect(existsSync(join(r.runDir, 'final_metrics.json'))).toBe(true);
    // The LM warm-up ran and lowered its loss.
    const models = firstLines.find((l) => l.type === 'demo-models') as {
      reused: boolean;
      warmUp: { lossBefore: number; lossAfter: number };
    };
    expect(models.reused).toBe(false);
    expect(models.warmUp.lossAfter).toBeLessThan(models.warmUp.lossBefore / 2);
    // The tiny CLIP was pretrained: its held-out frames' loss fell and color became readable.
    const vp = (
      models as unknown as {
        visionPretrain: { before: Record<string, number>; after: Record<string, number>; steps: number };
      }
    ).visionPretrain;
    expect(vp.steps).toBe(500);
    expect(vp.after.loss!).toBeLessThan(vp.before.loss! / 2);
    expect(vp.after.color!).toBeGreaterThan(0.9);
  });

  it('logs CIDEr-D for every evaluated epoch in training_log.csv, and the report shows it', async () => {
    const { runDir, report } = resultOf(firstLines);
    const rows = parseTrainingLog(await readFile(join(runDir, 'training_log.csv'), 'utf8'));
    // 2 stage-1 + 12 stage-2 epochs; the demo evaluates stage 2's. CIDEr-D once fell out of this
    // file unnoticed (one table said `cider`, another `cider_d`).
    expect(rows).toHaveLength(14);
    const evaluated = rows.filter((row) => row.stage === 'stage2');
    expect(evaluated).toHaveLength(12);
    for (const row of evaluated) {
      expect(row.cider_d, `cider_d of ${row.stage} epoch ${row.epoch}`).toMatch(/^\d+(\.\d+)?(e-?\d+)?$/);
    }
    for (const row of rows) expect(Number(row.tokens_per_s)).toBeGreaterThan(0);
    expect(await readFile(report, 'utf8')).toContain('CIDEr-D');
  });

  it('beats the constant-caption baseline and writes diverse captions that end with EOS', () => {
    const { metrics: m, meteorConstantBaseline: baseline } = resultOf(firstLines);
    expect(baseline).toBeGreaterThan(0);
    // Measured (64/16 videos, seeds 7 and 11): METEOR .42–.44 vs baselines .22–.26; EOS 100 %.
    expect(m.meteor).toBeGreaterThan(baseline + 0.1);
    expect(m.eos_rate).toBeGreaterThanOrEqual(0.9);
    // The full demo reaches .88 (run K); the reduced run with the pretrained CLIP: see RESULTS.md.
    expect(m.unique_ratio).toBeGreaterThanOrEqual(0.5);
  });

  it('reads the video: background and color far above chance (1 in 5 each)', () => {
    // With the pretrained tiny CLIP (bench/demo/RESULTS.md, "reduced demo for CI"): background
    // .69–.75, color .63+ on seeds 7 and 11. Shape (.25 on seed 11) and direction need more
    // videos and epochs than CI's budget (the full demo: .66 and .69), so they are not asserted.
    const m = resultOf(firstLines).metrics;
    expect(m.background_accuracy).toBeGreaterThanOrEqual(0.6);
    expect(m.color_accuracy).toBeGreaterThanOrEqual(0.4);
  });
});

describe('kvc demo again', () => {
  it('reuses the data, the models, the features and the finished run, and says so', () => {
    expect(second.stderr).toMatch(/reusing the synthetic dataset/);
    expect(second.stderr).toMatch(/reusing the tiny models/);
    expect(secondLines.find((l) => l.type === 'demo-models')).toMatchObject({ reused: true });
    const features = secondLines.find((l) => l.type === 'features') as {
      train: { hits: number; encoded: number };
      val: { hits: number; encoded: number };
    };
    // CI once saw 63 hits and 1 encoded here and never again: the message says whether the first run skipped a
    // video (a transient decode failure) or the cache lost one.
    const why = JSON.stringify({
      first: firstLines.filter((l) => l.type === 'features' || l.type === 'skip'),
      second: secondLines.filter((l) => l.type === 'skip' || l.type === 'warning'),
      stderr: second.stderr.slice(-2000),
    });
    expect(features, why).toMatchObject({ train: { hits: 64, encoded: 0 }, val: { hits: 16, encoded: 0 } });
    const r = resultOf(secondLines);
    expect(r.status).toBe('skipped');
    expect(r.metrics).toEqual(resultOf(firstLines).metrics);
    expect(second.stderr + second.stdout).toMatch(/already/);
  });
});
