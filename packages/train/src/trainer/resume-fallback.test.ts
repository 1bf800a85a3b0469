/**
 * `resume` never starts over silently: a run stopped with step checkpoints is copied, damaged one
 * way per case (the `latest` pointer missing or garbled, the latest checkpoint's state.json missing
 * or garbage) and resumed; each resumes from the newest complete checkpoint with a
 * `W_RESUME_FALLBACK` warning and ends at exactly the uninterrupted run's weights. A folder whose
 * checkpoints are all unusable is refused (E_NO_USABLE_CHECKPOINT) with or without resume, and
 * left as it was.
 */
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { TrainError } from '../errors.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { maxAbsDiff, ofType, readCheckpointWeights, runEvents } from './testing/run-events.js';
import type { TrainerOptions } from './trainer-types.js';

const STAGES: TrainerOptions['stages'] = [
  { name: 'stage1', epochs: 1, lr: 1e-2, trainLora: false },
  { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true },
];
const CONFIG = { model: 'tiny', lr: 0.01 };
/** 4 batches per epoch, accumulation 1: step 6 is in stage 2's first epoch. */
const STOP_AT = 6;

let s: TinySetup;
let reference: Map<string, Float32Array>;
let stoppedDir: string;
const options = (name: string, over: Partial<TrainerOptions> = {}) =>
  s.options(name, { stages: STAGES, config: CONFIG, checkpointEverySteps: 1, keepCheckpoints: 2, ...over });
const data = () => s.data({ batchSize: 1 });
const checkpoints = (run: string) => join(s.dir, run, 'checkpoints');
const step = (n: number) => `step-${String(n).padStart(8, '0')}`;

beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  // The uninterrupted run on its own copy of the (identically seeded) model: training changes the parts.
  s = await tinySetup({ loraDropout: 0.2 });
  try {
    const u = await runEvents({ options: options('uninterrupted'), parts: s.parts, data: data() });
    reference = await readCheckpointWeights(ofType(u, 'run-end')[0]!.checkpoint);
  } finally {
    await s.dispose();
  }
  s = await tinySetup({ loraDropout: 0.2 });
  const ctrl = new AbortController();
  const onStep = (e: { type: string; globalStep?: number }) => {
    if (e.type === 'step' && e.globalStep === STOP_AT) ctrl.abort();
  };
  await runEvents({ options: options('stopped'), parts: s.parts, data: data(), signal: ctrl.signal }, onStep);
  stoppedDir = join(s.dir, 'stopped');
  const names = (await readdir(checkpoints('stopped'))).filter((n) => !n.startsWith('.')).sort();
  expect(names).toEqual(['latest', step(STOP_AT - 1), step(STOP_AT)]);
});
afterAll(async () => s?.dispose());

/** A copy of the stopped run, damaged by `damage(checkpointsDir)`. */
async function damagedCopy(name: string, damage: (root: string) => Promise<void>): Promise<string> {
  await cp(stoppedDir, join(s.dir, name), { recursive: true });
  await damage(checkpoints(name));
  return name;
}

describe('resume falls back to the newest complete checkpoint', () => {
  const cases: [string, (root: string) => Promise<void>, number, RegExp][] = [
    ['latest missing', (root) => rm(join(root, 'latest')), STOP_AT, /latest.*missing/],
    ['latest garbled', (root) => writeFile(join(root, 'latest'), '\u0000\u0017garbage'), STOP_AT, /garbled/],
    [
      'state.json missing',
      (root) => rm(join(root, step(STOP_AT), 'state.json')),
      STOP_AT - 1,
      /state\.json is missing/,
    ],
    [
      'state.json garbage',
      (root) => writeFile(join(root, step(STOP_AT), 'state.json'), '{"version": 1, "stageI'),
      STOP_AT - 1,
      /state\.json is not valid JSON/,
    ],
  ];
  for (const [label, damage, from, why] of cases) {
    it(`${label}: resumes from ${step(from)} with a warning, to the uninterrupted weights`, async () => {
      const run = await damagedCopy(label.replace(/\W+/g, '-'), damage);
      const events = await runEvents({ options: options(run, { resume: true }), parts: s.parts, data: data() });
      const warning = ofType(events, 'warning').find((w) => w.code === 'W_RESUME_FALLBACK');
      expect(warning?.message).toMatch(why);
      expect(warning?.message).toContain(step(from));
      expect(ofType(events, 'run-start')[0]!.resumedFrom).toBe(join(checkpoints(run), step(from)));
      expect(ofType(events, 'step')[0]!.globalStep).toBe(from + 1);
      const end = ofType(events, 'run-end')[0]!;
      expect(end.status).toBe('finished');
      expect(maxAbsDiff(await readCheckpointWeights(end.checkpoint), reference)).toBe(0);
    });
  }

  it('refuses a folder with no usable checkpoint, with or without resume, and leaves it as it was', async () => {
    const run = await damagedCopy('none-usable', async (root) => {
      await writeFile(join(root, step(STOP_AT), 'state.json'), 'not json');
      await rm(join(root, step(STOP_AT - 1), 'state.json'));
    });
    const before = await readdir(checkpoints(run), { recursive: true });
    const config = await readFile(join(s.dir, run, 'config.json'), 'utf8');
    for (const resume of [true, false]) {
      const err = await runEvents({ options: options(run, { resume }), parts: s.parts, data: data() }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TrainError);
      expect((err as TrainError).code).toBe('E_NO_USABLE_CHECKPOINT');
      expect((err as TrainError).hint).toMatch(/--out/);
      expect(Object.keys((err as TrainError).context.problems as object).sort()).toEqual([
        step(STOP_AT - 1),
        step(STOP_AT),
      ]);
    }
    expect(await readdir(checkpoints(run), { recursive: true })).toEqual(before);
    expect(await readFile(join(s.dir, run, 'config.json'), 'utf8')).toBe(config);
  });

  it('resumeFrom continues from the checkpoint it names (not latest), to the uninterrupted weights', async () => {
    const run = await damagedCopy('resume-from', async () => undefined);
    const from = join(checkpoints(run), step(STOP_AT - 1));
    const events = await runEvents({ options: options(run, { resumeFrom: from }), parts: s.parts, data: data() });
    expect(ofType(events, 'run-start')[0]!.resumedFrom).toBe(from);
    expect(ofType(events, 'step')[0]!.globalStep).toBe(STOP_AT);
    const end = ofType(events, 'run-end')[0]!;
    expect(maxAbsDiff(await readCheckpointWeights(end.checkpoint), reference)).toBe(0);
    const bad = await runEvents({
      options: options(run, { resumeFrom: join(s.dir, run) }),
      parts: s.parts,
      data: data(),
    })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({
      code: 'E_NO_USABLE_CHECKPOINT',
      message: expect.stringMatching(/state\.json is missing/),
    });
  });

  it('resume in an empty folder starts a new run, saying so', async () => {
    const events = await runEvents({ options: options('fresh', { resume: true }), parts: s.parts, data: data() });
    expect(ofType(events, 'warning').map((w) => w.code)).toContain('W_RESUME_NOTHING');
    expect(ofType(events, 'step')[0]!.globalStep).toBe(1);
  });
});
