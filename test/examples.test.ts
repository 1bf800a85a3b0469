/**
 * Every script in examples/ runs, offline, on generated inputs (synthetic videos, tiny models, a
 * tiny trained run) as a user would run it — `node examples/<name>.mjs ...` from the repository
 * root against the built packages — so the examples never rot. Each is checked for its exit code
 * and for what it prints, and cross-checked against the CLI where they overlap (cache keys that
 * `kvc cache` hits, METEOR equal to the run's metrics, captions equal to the run's predictions).
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, kvc, makeTinySetup, runNode, tinyTrainArgs } from './helpers/tiny-setup.js';
import type { KvcResult, TinySetup } from './helpers/tiny-setup.js';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;
const example = (name: string, args: readonly string[]): Promise<KvcResult> => runNode([join(EXAMPLES, name), ...args]);
const expectOk = (r: KvcResult): void => expect(r.code, r.stderr.slice(-3000)).toBe(0);

type Prediction = { id: string; video: string; prediction: string; reference: string };

let work: string;
let setup: TinySetup;
let runDir: string;
/** val videos copied into a plain folder (no labels) with one broken file. */
let ownVideos: string;
let predictions: Prediction[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-examples-'));
  setup = await makeTinySetup(work, { train: 4, val: 4, badVideo: true });
  runDir = join(work, 'run');
  expectOk(await kvc(tinyTrainArgs(setup, runDir, ['train.stage2.epochs=1'])));
  predictions = (await readFile(join(runDir, 'predictions.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Prediction);
  ownVideos = join(work, 'own-videos');
  await mkdir(ownVideos);
  for (const p of predictions) await copyFile(p.video, join(ownVideos, `${p.id}.mp4`));
  await writeFile(join(ownVideos, 'zz_broken.mp4'), 'not a video\n');
});

afterAll(async () => {
  if (work && !process.env.KVC_KEEP_TMP) await rm(work, { recursive: true, force: true });
});

describe('examples/', () => {
  it('every example is covered here', async () => {
    const scripts = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.mjs')).sort();
    const source = await readFile(new URL(import.meta.url), 'utf8');
    for (const s of scripts)
      expect(source.split(`'${s}'`).length - 1, `${s} is run by a test`).toBeGreaterThanOrEqual(1);
  });

  it('dataset-stream.mjs: probes, applies the skip policy, decodes and summarizes', async () => {
    const r = await example('dataset-stream.mjs', [setup.data, '--split', 'train']);
    expectOk(r);
    expect(r.stdout.match(/^frames synth_train_\d+ {2}32x32 /gm)).toHaveLength(4);
    expect(r.stdout).toMatch(/^skip {3}broken_video {2}\[E_VIDEO_UNDECODABLE\]/m);
    expect(r.stdout).toMatch(/^summary: E_VIDEO_UNDECODABLE 1, decoded 4$/m);

    const strict = await example('dataset-stream.mjs', [setup.data, '--split', 'train', '--min-seconds', '1000']);
    expectOk(strict);
    expect(strict.stdout.match(/\[too-short\]/g)).toHaveLength(4);
    expect(strict.stdout).not.toMatch(/^frames /m);
  });

  it('cache-folder-features.mjs: encodes, then hits, and kvc cache finds the same entries', async () => {
    const cache = join(work, 'example-cache');
    const videos = join(setup.data, 'val', 'videos');
    const first = await example('cache-folder-features.mjs', [videos, '--vision', setup.clipDir, '--cache', cache]);
    expectOk(first);
    expect(first.stdout.match(/^encoded /gm)).toHaveLength(4);
    expect(first.stdout).toMatch(/this run: 0 hits, 4 misses, 4 written, 0 skipped/);
    const second = await example('cache-folder-features.mjs', [videos, '--vision', setup.clipDir, '--cache', cache]);
    expectOk(second);
    expect(second.stdout.match(/^hit /gm)).toHaveLength(4);
    expect(second.stdout).toMatch(/this run: 4 hits, 0 misses, 0 written/);
    // The recipe is kvc's: `kvc cache` with the same vision model and default settings encodes nothing.
    const cli = await kvc([
      'cache',
      '--data',
      setup.data,
      '--split',
      'val',
      `vision.model=${setup.clipDir}`,
      `features.cacheDir=${cache}`,
      '--json',
    ]);
    expectOk(cli);
    expect(jsonLines(cli.stdout).at(-1)).toMatchObject({ splits: [{ split: 'val', hits: 4, encoded: 0 }] });

    const broken = await example('cache-folder-features.mjs', [ownVideos, '--vision', setup.clipDir, '--cache', cache]);
    expectOk(broken);
    expect(broken.stdout).toMatch(/^skipped {2}.*zz_broken\.mp4/m);
    expect(broken.stdout).toMatch(/4 written, 1 skipped/);
  });

  it('score-predictions.mjs: METEOR and CIDEr-D of a predictions file, bad lines reported', async () => {
    const file = join(work, 'predictions-with-a-bad-line.jsonl');
    await writeFile(file, (await readFile(join(runDir, 'predictions.jsonl'), 'utf8')) + '{"prediction": 3}\n');
    const r = await example('score-predictions.mjs', [file, '--worst', '2']);
    expectOk(r);
    expect(r.stderr).toMatch(/skipped line 5: "prediction" is not a string/);
    const metrics = JSON.parse(await readFile(join(runDir, 'final_metrics.json'), 'utf8')) as {
      meteor: number;
      cider_d: number;
    };
    expect(r.stdout).toContain(`meteor   ${metrics.meteor.toFixed(4)}`);
    expect(r.stdout).toContain(`cider_d  ${metrics.cider_d.toFixed(4)}`);
    expect(r.stdout.match(/^ {4}prediction: /gm)).toHaveLength(2);
  });

  it('caption-folder.mjs: the run captions a folder as kvc did, and a broken file is skipped (exit 1)', async () => {
    // The comparison below means something only if captions depend on the video.
    expect(new Set(predictions.map((p) => p.prediction)).size).toBeGreaterThan(1);
    const r = await example('caption-folder.mjs', [ownVideos, '--run', runDir]);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    expect(r.stderr).toMatch(/skipped .*zz_broken\.mp4/);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(lines.map((l) => l[0])).toEqual(predictions.map((p) => join(ownVideos, `${p.id}.mp4`)));
    // Same checkpoint (best), same frames, float32 features: the run's own final predictions.
    // Features computed live (other batch shapes) can differ from the cached ones in the last float
    // bits, which flips near-tied greedy choices of this untrained tiny model: most must match.
    const same = lines.filter((l, i) => l[1] === predictions[i]!.prediction).length;
    expect(
      same,
      JSON.stringify({ got: lines.map((l) => l[1]), want: predictions.map((p) => p.prediction) }),
    ).toBeGreaterThanOrEqual(Math.ceil(predictions.length / 2));
    for (const l of lines) expect(['eos', 'cut']).toContain(l[2]);
  });
});
