/**
 * `kvc train` end to end on a tiny setup, through the built CLI in child processes: the whole run
 * folder is written (config, seed-compatible training log, events, best/ in PEFT format, per-sample
 * predictions, metrics), an undecodable video and a bad label are skipped and reported as JSON
 * events, a second run says it is already trained, a changed training key without --out is refused
 * naming the key, `--json` keeps stdout pure JSON lines, and the TensorBoard event files hold
 * the same steps. Then `kvc cache` finds every feature
 * cached, `kvc eval` reproduces the run's final predictions from the best checkpoint, and
 * `kvc caption` gives the same captions from the video files, reporting a broken file without
 * failing the others.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINING_LOG_METRICS } from '@kvc/eval';
import { parseTrainingLog } from '@kvc/train';
import { readScalars } from './helpers/read-tfevents.js';
import { jsonLines, kvc, makeTinySetup, tinyTrainArgs } from './helpers/tiny-setup.js';
import type { KvcResult, TinySetup } from './helpers/tiny-setup.js';

type Line = Record<string, unknown> & { type?: string };
const readJson = async <T = Record<string, unknown>>(f: string): Promise<T> =>
  JSON.parse(await readFile(f, 'utf8')) as T;
const readJsonl = async (f: string): Promise<Line[]> =>
  (await readFile(f, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
const expectOk = (r: KvcResult): void => expect(r.code, r.stderr.slice(-3000)).toBe(0);

let work: string;
let setup: TinySetup;
/** The run folder: trained without --out from `work`, so it is work/runs/demo. */
let runDir: string;
let train: KvcResult;
let trainLines: Line[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-pipeline-'));
  setup = await makeTinySetup(work, { train: 8, val: 4, badVideo: true, badLabel: true });
  const args = tinyTrainArgs(setup, undefined);
  train = await kvc([...args, '--json'], { cwd: work });
  runDir = join(work, 'runs', 'demo');
  expectOk(train);
  trainLines = jsonLines(train.stdout);
});

afterAll(async () => {
  // KVC_KEEP_TMP=1 keeps the setup and run folder for a look.
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

describe('kvc train on a tiny setup', () => {
  it('keeps stdout pure JSON lines and ends with the result', () => {
    const last = trainLines.at(-1)!;
    expect(last).toMatchObject({ type: 'result', command: 'train', status: 'finished', runDir });
    expect(Object.keys(last.metrics as object)).toContain('meteor');
    expect(trainLines.filter((l) => l.type === 'result')).toHaveLength(1);
  });

  it('skips the undecodable video and the bad label, and reports both as events', () => {
    const skips = trainLines.filter((l) => l.type === 'skip');
    const label = skips.find((s) => s.id === setup.broken.badLabel);
    const video = skips.find((s) => s.id === setup.broken.badVideo);
    expect(label, JSON.stringify(skips)).toMatchObject({ split: 'train', code: 'E_LABEL_INVALID_JSON' });
    expect(video, JSON.stringify(skips)).toMatchObject({ split: 'train', code: 'E_VIDEO_UNDECODABLE' });
    expect(String(video!.file)).toMatch(/broken_video\.mp4$/);
    // Nothing else was skipped: the 8 real training videos and 4 validation videos were used.
    expect(skips).toHaveLength(2);
    const features = trainLines.find((l) => l.type === 'features') as {
      train: { encoded: number; skipped: number };
      val: { encoded: number };
    };
    expect(features.train).toMatchObject({ encoded: 8, skipped: 1 });
    expect(features.val.encoded).toBe(4);
  });

  it('writes the whole run folder', async () => {
    const config = await readJson<{ llm: { model: string }; data: { root: string } }>(join(runDir, 'config.json'));
    expect(config.llm.model).toBe(setup.llmDir);

    const log = (await readFile(join(runDir, 'training_log.csv'), 'utf8')).trim().split('\n');
    // The notebook's training_log.csv columns come first, in its order.
    expect(log[0]!.split(',').slice(0, 7)).toEqual([
      'stage',
      'epoch',
      'train_loss',
      'siglip_score',
      'diversity',
      'lr',
      'timestamp',
    ]);
    const stages = log.slice(1).map((r) => r.split(',')[0]);
    expect(stages).toContain('stage1');
    expect(stages).toContain('stage2');
    // Every metric the evaluation returned is logged under the registry's column (CIDEr-D
    // included), and the measured throughput in every row.
    const rows = parseTrainingLog(log.join('\n'));
    const evaluations = (await readJsonl(join(runDir, 'events.jsonl'))).filter((e) => e.type === 'evaluation');
    expect(evaluations.length).toBeGreaterThan(0);
    for (const e of evaluations) {
      const row = rows.find((r) => r.stage === e.stage && Number(r.epoch) === e.epoch)!;
      for (const [key, v] of Object.entries(e.metrics as Record<string, number>)) {
        const column = TRAINING_LOG_METRICS.find((m) => m.key === key)?.column;
        expect(column, key).toBeDefined();
        expect(Number(row[column!]), key).toBe(v);
      }
      expect(Object.keys(e.metrics as object)).toContain('cider_d');
    }
    for (const r of rows) expect(Number(r.tokens_per_s)).toBeGreaterThan(0);

    const events = await readJsonl(join(runDir, 'events.jsonl'));
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['run-start', 'stage-start', 'step', 'evaluation']),
    );

    // TensorBoard sees the same run: one train/loss per step event (f32), every evaluated metric.
    const scalars = await readScalars(join(runDir, 'tensorboard'));
    const steps = events.filter((e) => e.type === 'step');
    expect(scalars.filter(([tag]) => tag === 'train/loss').map(([, s, v]) => [s, v])).toEqual(
      steps.map((e) => [e.globalStep, Math.fround(e.loss as number)]),
    );
    for (const e of evaluations) {
      for (const key of Object.keys(e.metrics as object)) {
        expect(
          scalars.some(([tag]) => tag === `eval/${key}`),
          key,
        ).toBe(true);
      }
    }

    const adapter = await readJson<{ peft_type: string; r: number; target_modules: string[] }>(
      join(runDir, 'best', 'adapter', 'adapter_config.json'),
    );
    expect(adapter.peft_type).toBe('LORA');
    // The adapter's rank is the run config's (the preset's), written in PEFT's field.
    expect(adapter.r).toBe((config as unknown as { lora: { r: number } }).lora.r);
    expect(adapter.target_modules.length).toBeGreaterThan(0);
    expect(existsSync(join(runDir, 'best', 'adapter', 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(join(runDir, 'best', 'projector.safetensors'))).toBe(true);

    const predictions = await readJsonl(join(runDir, 'predictions.jsonl'));
    expect(predictions).toHaveLength(4);
    for (const p of predictions) {
      expect(typeof p.prediction).toBe('string');
      expect(typeof p.reference).toBe('string');
      expect(typeof p.eos_reached).toBe('boolean');
      expect(typeof (p.metrics as Record<string, unknown>).meteor).toBe('number');
    }
    const metrics = await readJson<{ aggregate?: unknown } & Record<string, unknown>>(join(runDir, 'metrics.json'));
    expect(JSON.stringify(metrics)).toContain('meteor');
    const final = await readJson<Record<string, number>>(join(runDir, 'final_metrics.json'));
    expect(final).toEqual(trainLines.at(-1)!.metrics);
    expect(existsSync(join(runDir, 'eval', 'stage2-epoch1', 'predictions.jsonl'))).toBe(true);
  });

  it('says a finished run is already trained (SKIP)', async () => {
    const args = tinyTrainArgs(setup, undefined);
    const again = await kvc(args, { cwd: work });
    expectOk(again);
    expect(again.stdout).toMatch(/already trained/);
    expect(again.stderr).toMatch(/skip/i);
  });

  it('refuses a changed training key without --out, naming the key', async () => {
    const args = tinyTrainArgs(setup, undefined, ['train.stage2.lr=0.0005']);
    const changed = await kvc(args, { cwd: work });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/error \[E_RUN_EXISTS\] .*differs.*train\.stage2\.lr/);
    expect(changed.stdout).toBe('');
  });
});

describe('kvc cache / eval / caption on the trained run', () => {
  it('kvc cache finds every usable video cached and reports the two skips', async () => {
    const r = await kvc([
      'cache',
      '--data',
      setup.data,
      '--preset',
      'demo',
      `vision.model=${setup.clipDir}`,
      `features.cacheDir=${setup.cacheDir}`,
      '--json',
    ]);
    expectOk(r);
    const result = jsonLines(r.stdout).at(-1)! as {
      type: string;
      splits: { split: string; hits: number; encoded: number; skipped: number }[];
      entries: number;
    };
    expect(result.type).toBe('result');
    expect(result.splits).toEqual([
      expect.objectContaining({ split: 'train', hits: 8, encoded: 0, skipped: 2 }),
      expect.objectContaining({ split: 'val', hits: 4, encoded: 0, skipped: 0 }),
    ]);
    expect(result.entries).toBe(12);
  });

  it('kvc eval --run reproduces the final predictions from best/ and writes eval/best-val', async () => {
    const r = await kvc(['eval', '--run', runDir]);
    expectOk(r);
    expect(r.stdout).toMatch(/checkpoint best on val: 4 captions/);
    expect(r.stdout).toMatch(/meteor\s+\d\.\d{4}/);
    const dir = join(runDir, 'eval', 'best-val');
    const mine = await readJsonl(join(dir, 'predictions.jsonl'));
    const final = await readJsonl(join(runDir, 'predictions.jsonl'));
    expect(mine.map((p) => [p.id, p.prediction])).toEqual(final.map((p) => [p.id, p.prediction]));
    expect(existsSync(join(dir, 'metrics.json'))).toBe(true);
  });

  it('kvc eval --checkpoint last --json caches missing features, names the checkpoint, keeps stdout JSON', async () => {
    const r = await kvc([
      'eval',
      '--run',
      runDir,
      '--checkpoint',
      'last',
      '--json',
      `features.cacheDir=${join(work, 'fresh-cache')}`,
    ]);
    expectOk(r);
    const lines = jsonLines(r.stdout);
    expect(lines.find((l) => l.type === 'features')).toMatchObject({ val: { hits: 0, encoded: 4, skipped: 0 } });
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ type: 'result', command: 'eval', checkpoint: 'final', split: 'val' });
    expect(existsSync(join(runDir, 'eval', 'final-val', 'predictions.jsonl'))).toBe(true);
  });

  it('kvc eval refuses a folder that is not a run', async () => {
    const r = await kvc(['eval', '--run', setup.data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[E_RUN_NOT_FOUND]');
  });

  it('kvc caption captions video files as eval does, and reports a broken one (exit 1)', async () => {
    const final = await readJsonl(join(runDir, 'predictions.jsonl'));
    const videos = final.map((p) => String(p.video));
    // The comparison below means something only if captions depend on the video.
    expect(new Set(final.map((p) => p.prediction)).size).toBeGreaterThan(1);
    const broken = join(setup.data, 'train', 'videos', 'broken_video.mp4');
    const r = await kvc(['caption', videos[0]!, broken, ...videos.slice(1), '--run', runDir, '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const lines = jsonLines(r.stdout);
    const captions = lines.filter((l) => l.type === 'caption');
    expect(captions.map((c) => c.video)).toEqual(videos);
    // Live features (other batch shapes) may differ from the cached ones in the last float bits,
    // which can flip a near-tied greedy choice of this untrained tiny model: most must match.
    const same = captions.filter((c, i) => c.caption === final[i]!.prediction).length;
    expect(
      same,
      JSON.stringify({ got: captions.map((c) => c.caption), want: final.map((p) => p.prediction) }),
    ).toBeGreaterThanOrEqual(Math.ceil(final.length / 2));
    for (const c of captions) {
      expect(typeof c.eos_reached).toBe('boolean');
      expect(c.tokens).toBeGreaterThan(0);
    }
    const result = lines.at(-1)! as {
      type: string;
      captioned: number;
      failed: { video: string; code: string; reason: string; hint?: string }[];
    };
    expect(result).toMatchObject({ type: 'result', command: 'caption', captioned: 4 });
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.video).toBe(broken);
    expect(result.failed[0]!.reason.length).toBeGreaterThan(0);
    expect(result.failed[0]!.hint).toBeTruthy();
    expect(r.stderr).toContain(broken);
  });

  it('kvc caption prints video<TAB>caption lines for people', async () => {
    const final = await readJsonl(join(runDir, 'predictions.jsonl'));
    const r = await kvc(['caption', String(final[0]!.video), '--run', runDir, '--checkpoint', 'last']);
    expectOk(r);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\t')[0]).toBe(final[0]!.video);
    expect(lines[0]!.split('\t')).toHaveLength(2);
  });
});
