/**
 * A tiny, offline training setup for integration tests and the examples' CI: a synthetic dataset
 * (AIHub layout, optionally with one undecodable video and one bad label), a tiny random CLIP
 * vision tower, and a tiny random Qwen3 over a compact slice of the real Qwen3 tokenizer (only
 * the ids the captions and prompt use), plus the `kvc` binary run as a child process so stdout
 * is exactly what a user sees.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import { synthDataset } from '@kvc/video-io';
// The tiny-model writers are the CLI demo's (not part of any package's public entry).
import { writeCompactTokenizer } from '../../apps/cli/src/demo/write-compact-tokenizer.js';
import { writeTinyClipVision } from '../../apps/cli/src/demo/write-tiny-clip-vision.js';

/** The built CLI entry (turbo builds dependencies before the test task). */
export const KVC_BIN = fileURLToPath(new URL('../../apps/cli/bin/kvc.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PROMPT = '이 영상을 설명해주세요.';

export interface TinySetup {
  readonly data: string;
  readonly clipDir: string;
  readonly llmDir: string;
  readonly cacheDir: string;
  /** Ids of the broken samples written into train/ (when asked for). */
  readonly broken: { readonly badVideo?: string; readonly badLabel?: string };
}

export interface TinySetupOptions {
  readonly train?: number;
  readonly val?: number;
  /** Add train/videos/broken_video.mp4 (not a video) with a valid label. */
  readonly badVideo?: boolean;
  /** Add train/labels/broken_label.json (invalid JSON) with a valid video. */
  readonly badLabel?: boolean;
}

/** Writes the dataset and both models under `dir`. */
export async function makeTinySetup(dir: string, o: TinySetupOptions = {}): Promise<TinySetup> {
  const data = join(dir, 'data');
  await lastValueFrom(
    synthDataset({ out: data, train: o.train ?? 8, val: o.val ?? 4, seed: 7, size: 32, frames: 8, fps: 4 }),
    { defaultValue: undefined },
  );
  const broken: { badVideo?: string; badLabel?: string } = {};
  const labels = join(data, 'train', 'labels');
  const videos = join(data, 'train', 'videos');
  const firstLabel = (await readdir(labels)).sort()[0]!;
  const first = firstLabel.replace(/\.json$/, '');
  if (o.badVideo) {
    broken.badVideo = 'broken_video';
    await writeFile(join(labels, 'broken_video.json'), await readFile(join(labels, firstLabel)));
    await writeFile(join(videos, 'broken_video.mp4'), 'this is not a video\n');
  }
  if (o.badLabel) {
    broken.badLabel = 'broken_label';
    await writeFile(join(labels, 'broken_label.json'), '{"annotation": {"description_kr": "잘린 라벨');
    await writeFile(join(videos, 'broken_label.mp4'), await readFile(join(videos, `${first}.mp4`)));
  }
  const { clipDir, llmDir } = await makeTinyModels(join(dir, 'models'), await datasetCaptions(data));
  return { data, clipDir, llmDir, cacheDir: join(dir, 'cache'), broken };
}

/** Every caption of the dataset's labels (train and val). */
export async function datasetCaptions(data: string): Promise<string[]> {
  const out: string[] = [];
  for (const split of ['train', 'val']) {
    const dir = join(data, split, 'labels');
    for (const f of (await readdir(dir)).sort()) {
      try {
        const label = JSON.parse(await readFile(join(dir, f), 'utf8')) as { annotation?: { description_kr?: string } };
        if (label.annotation?.description_kr) out.push(label.annotation.description_kr);
      } catch {
        // the deliberately broken label
      }
    }
  }
  return out;
}

/** A tiny CLIP vision tower and a tiny Qwen3 whose compact vocabulary covers `texts` and the prompt. */
export async function makeTinyModels(
  dir: string,
  texts: readonly string[],
): Promise<{ clipDir: string; llmDir: string }> {
  const clipDir = join(dir, 'clip');
  const llmDir = join(dir, 'llm');
  await mkdir(dir, { recursive: true });
  await writeTinyClipVision(clipDir, {
    seed: 1,
    imageSize: 32,
    patchSize: 8,
    hiddenSize: 32,
    numLayers: 1,
    numHeads: 2,
  });
  const vocab = await writeCompactTokenizer(llmDir, [PROMPT, ...texts]);
  const config = tinyQwen3ConfigJson({
    vocab_size: vocab.originalIds.length,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 16,
    eos_token_id: vocab.eosTokenId,
    pad_token_id: vocab.padTokenId,
    tie_word_embeddings: true,
  });
  // A large init scale so greedy captions depend on the video (a small one gives every video the same caption).
  await writeRandomQwen3(llmDir, config, { seed: 3, scale: 0.5 });
  return { clipDir, llmDir };
}

/** `kvc train` arguments for the tiny setup (demo preset, short stages, 8 new tokens); no --out when `runDir` is undefined. */
export function tinyTrainArgs(s: TinySetup, runDir: string | undefined, extra: readonly string[] = []): string[] {
  return [
    'train',
    '--preset',
    'demo',
    ...(runDir === undefined ? [] : ['--out', runDir]),
    `data.root=${s.data}`,
    `vision.model=${s.clipDir}`,
    `llm.model=${s.llmDir}`,
    `features.cacheDir=${s.cacheDir}`,
    'backend=wasm',
    'train.batchSize=4',
    'train.stage1.epochs=1',
    'train.stage2.epochs=2',
    'generation.maxNewTokens=8',
    ...extra,
  ];
}

export interface KvcResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The signal that ended the process (kvcChild only), e.g. 'SIGKILL'. */
  readonly signal?: NodeJS.Signals | null;
}

/** Runs the built `kvc` in a child process. */
export function kvc(args: readonly string[], opts: { cwd?: string } = {}): Promise<KvcResult> {
  return runNode([KVC_BIN, ...args], opts);
}

/** Runs `node <args>` (a script and its arguments) from the repository root. */
export function runNode(args: readonly string[], opts: { cwd?: string } = {}): Promise<KvcResult> {
  return runProcess(process.execPath, args, opts);
}

/** Runs `command <args>` from the repository root (or `cwd`), with extra environment variables. */
export function runProcess(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<KvcResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, [...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env, FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses every stdout line as JSON; a line that is not JSON fails with the line in the message. */
export function jsonLines(stdout: string): (Record<string, unknown> & { type?: string })[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown> & { type?: string };
      } catch {
        throw new Error(`stdout line is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

/** A running `kvc` child: `onLine` sees each stdout line (parsed JSON with --json) as it comes. */
export interface KvcChild {
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when it exits, with everything it printed. */
  readonly done: Promise<KvcResult>;
}

/** Starts the built `kvc` (from the repository root); stdout lines that are not JSON reach `onLine` as `{ line }`. */
export function kvcChild(args: readonly string[], onLine: (e: Record<string, unknown>) => void): KvcChild {
  const p = spawn(process.execPath, [KVC_BIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  p.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines.filter(Boolean)) {
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(l) as Record<string, unknown>;
      } catch {
        e = { line: l };
      }
      onLine(e);
    }
  });
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<KvcResult>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), signal, stdout, stderr }));
  });
  return { pid: p.pid!, kill: (sig) => p.kill(sig), done };
}
