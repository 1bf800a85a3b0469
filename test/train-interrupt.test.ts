/**
 * `kvc train` interrupted for real, through the built CLI in child processes (16 batches per
 * epoch): SIGINT (in stage 1) and SIGTERM (in stage 2) sent mid-epoch stop it at the next step
 * boundary with a checkpoint and exit 0, and `--resume` ends at the uninterrupted run's weights
 * bit for bit; a second signal exits at once (130/143) and the run still resumes to the same weights.
 * SIGKILL mid-epoch (with step checkpoints on) resumes from the last step checkpoint, bit for bit.
 * Two runs into one --out: the second is refused with E_RUN_LOCKED naming the first's pid, and
 * the first finishes alone.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LOCK_FILE } from '@kvc/train';
import { maxAbsDiff, readCheckpointWeights } from '@kvc/train/testing';
import { jsonLines, kvc, kvcChild, makeTinySetup, tinyTrainArgs } from './helpers/tiny-setup.js';
import type { KvcResult, TinySetup } from './helpers/tiny-setup.js';

type Line = Record<string, unknown> & { type?: string };
const TRAIN_SAMPLES = 16;
const expectOk = (r: KvcResult): void => expect(r.code, r.stderr.slice(-3000)).toBe(0);

let work: string;
let setup: TinySetup;
let reference: Map<string, Float32Array>;
const runDir = (run: string): string => join(work, run);
/** One sample per batch: 16 optimizer steps per epoch; stage 1 is steps 1–16, stage 2 17–48. */
const args = (run: string, extra: readonly string[] = []): string[] => [
  ...tinyTrainArgs(setup, runDir(run), ['train.batchSize=1', 'train.gradAccumulation=1']),
  '--json',
  ...extra,
];
const finalWeights = (run: string) => readCheckpointWeights(join(runDir(run), 'checkpoints', 'final'));

/** Resumes `run` to its end: it must continue from a checkpoint and finish at the reference weights. */
async function resumeToReference(run: string): Promise<Line[]> {
  const r = await kvc(args(run, ['--resume']));
  expectOk(r);
  const lines = jsonLines(r.stdout);
  expect(lines.find((l) => l.type === 'run-start')!.resumedFrom).toBeDefined();
  expect(lines.at(-1)).toMatchObject({ type: 'result', status: 'finished' });
  expect(maxAbsDiff(await finalWeights(run), reference)).toBe(0);
  expect(existsSync(join(runDir(run), RUN_LOCK_FILE))).toBe(false);
  return lines;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-interrupt-'));
  setup = await makeTinySetup(work, { train: TRAIN_SAMPLES, val: 2 });
  const r = await kvc(args('uninterrupted'));
  expectOk(r);
  expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'result', status: 'finished' });
  reference = await finalWeights('uninterrupted');
});
afterAll(async () => {
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

describe('kvc train answers SIGINT / SIGTERM', () => {
  for (const [signal, at, stage] of [
    ['SIGINT', 4, 'stage1'],
    ['SIGTERM', 16 + 4, 'stage2'],
  ] as const) {
    it(`${signal} after step ${at} (${stage}) stops mid-epoch with a checkpoint, resumes exactly`, async () => {
      const run = `stopped-${signal}`;
      const lines: Line[] = [];
      const child = kvcChild(args(run), (e) => {
        lines.push(e);
        if (e.type === 'step' && e.globalStep === at) child.kill(signal);
      });
      const r = await child.done;
      expectOk(r);
      const steps = lines.filter((l) => l.type === 'step');
      const stopped = lines.find((l) => l.type === 'stopped')!;
      // Heard mid-epoch, within a few steps (the step loop used to run to the epoch's end first;
      // the margin is for this test reading the child's stdout late on a busy machine).
      expect(stopped).toMatchObject({ stage, epoch: 1 });
      expect(stopped.batch as number).toBeLessThan(TRAIN_SAMPLES);
      expect(steps.at(-1)!.globalStep as number).toBeLessThanOrEqual(at + 5);
      expect(lines.find((l) => l.type === 'checkpoint' && l.reason === 'stop')!.path).toBe(stopped.checkpoint);
      expect(lines.at(-1)).toMatchObject({ type: 'result', status: 'stopped' });
      expect(existsSync(join(runDir(run), RUN_LOCK_FILE))).toBe(false);

      const resumed = await resumeToReference(run);
      expect(resumed.find((l) => l.type === 'run-start')!.resumedFrom).toBe(stopped.checkpoint);
      expect(resumed.find((l) => l.type === 'step')!.globalStep).toBe((steps.at(-1)!.globalStep as number) + 1);
    });
  }

  it('a second signal exits at once (130/143), and the last checkpoint still resumes to the same weights', async () => {
    const run = 'signalled-twice';
    const child = kvcChild(args(run), (e) => {
      // Two different signals, so the kernel cannot merge them into one.
      if (e.type === 'step' && e.globalStep === 16 + 6) {
        child.kill('SIGINT');
        child.kill('SIGTERM');
      }
    });
    const r = await child.done;
    // 130 or 143, by whichever of the two Node happened to handle second.
    expect([130, 143], r.stderr.slice(-3000)).toContain(r.code);
    expect(jsonLines(r.stdout).some((l) => l.type === 'result')).toBe(false);
    const resumed = await resumeToReference(run);
    // `latest` was usable: no fallback was needed.
    expect(resumed.filter((l) => l.type === 'warning').map((l) => l.message)).not.toContainEqual(
      expect.stringMatching(/newest complete checkpoint/),
    );
  });
});

describe('kvc train killed by SIGKILL (preemption without notice)', () => {
  it('resumes from the last step checkpoint mid-epoch to the uninterrupted weights, bit for bit', async () => {
    const run = 'killed';
    const every = ['train.checkpointEverySteps=3'];
    const at = 16 + 5; // stage 2, mid-epoch: step checkpoints exist at 18 (and maybe 21)
    const lines: Line[] = [];
    const child = kvcChild(args(run, every), (e) => {
      lines.push(e);
      if (e.type === 'step' && e.globalStep === at) child.kill('SIGKILL');
    });
    const r = await child.done;
    expect(r.signal ?? r.code, r.stderr.slice(-3000)).toBe('SIGKILL');
    const saved = lines.filter((l) => l.type === 'checkpoint' && l.reason === 'steps');
    expect(saved.length).toBeGreaterThan(0);

    const resumed = await kvc(args(run, [...every, '--resume']));
    expectOk(resumed);
    const out = jsonLines(resumed.stdout);
    // It went on from a step checkpoint inside stage 2's first epoch, not from the epoch's start.
    const first = out.find((l) => l.type === 'step')!.globalStep as number;
    expect(first).toBeGreaterThan(16 + 1);
    expect(first).toBeLessThanOrEqual(at + 1);
    expect(out.at(-1)).toMatchObject({ type: 'result', status: 'finished' });
    expect(maxAbsDiff(await finalWeights(run), reference)).toBe(0);
  });
});

describe('the run folder lock', () => {
  it('refuses a second kvc train into the same --out naming the first; the first finishes alone', async () => {
    const run = 'shared';
    let second: Promise<KvcResult> | undefined;
    // The second starts on the first's first line (it holds the lock from before its setup), so
    // the first is surely still running when the second reaches the lock.
    const first = kvcChild(args(run), () => {
      if (!second) second = kvc(args(run));
    });
    const r1 = await first.done;
    expectOk(r1);
    expect(second).toBeDefined();
    const r2 = await second!;
    expect(r2.code).toBe(1);
    const err = jsonLines(r2.stdout).at(-1)!;
    expect(err).toMatchObject({
      type: 'error',
      code: 'E_RUN_LOCKED',
      context: { pid: first.pid, lock: join(runDir(run), RUN_LOCK_FILE) },
    });
    expect(err.hint).toMatch(/--out/);
    expect(r2.stderr).toContain(`[E_RUN_LOCKED]`);
    expect(jsonLines(r1.stdout).at(-1)).toMatchObject({ type: 'result', status: 'finished' });
    const events = (await readFile(join(runDir(run), 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(events.filter((l) => (JSON.parse(l) as Line).type === 'run-start')).toHaveLength(1);
    expect(existsSync(join(runDir(run), RUN_LOCK_FILE))).toBe(false);
  });
});
