/**
 * The deterministic synthetic dataset: short clips of colored shapes moving over backgrounds,
 * written in the AIHub layout with Korean captions that name color, shape, direction and
 * background (several phrasings per fact, so a model has to look at the video). Label JSON also
 * stores the ground-truth `attributes`. Same seed → byte-identical labels; videos are encoded
 * with one x264 thread and fixed parameters, so they repeat too.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import { concat, defer, from, ignoreElements, map, mergeMap } from 'rxjs';
import { encodeVideo } from '../encode-video.js';
import { InvalidArgumentError, writeFailed } from '../errors.js';
import { hashString, mulberry32 } from './prng.js';
import { renderClip } from './render.js';
import { CAPTION_TEMPLATE_COUNT, synthCaption } from './caption.js';
import { ATTRIBUTE_VALUES, type SynthAttributes } from './vocabulary.js';

/** Options of {@link synthDataset}. */
export interface SynthOptions {
  /** Dataset root to write (`<out>/train`, `<out>/val`). */
  readonly out: string;
  readonly train?: number;
  readonly val?: number;
  readonly seed?: number;
  /** Frame side in pixels (even; default 64). */
  readonly size?: number;
  /** Frames per clip (default 16). */
  readonly frames?: number;
  readonly fps?: number;
  /** Videos encoded at once (default 2). */
  readonly concurrency?: number;
}

/** One planned sample: everything its label and video are made from. */
export interface SynthSample {
  readonly split: string;
  readonly id: string;
  readonly attributes: SynthAttributes;
  readonly caption: string;
  readonly crossOffset: number;
}

/** Progress: one event per written sample. */
export interface SynthProgress {
  readonly type: 'written';
  readonly split: string;
  readonly id: string;
  readonly done: number;
  readonly total: number;
}

/**
 * Bounds of the options: a clip is rendered whole in memory (size² × 3 bytes × frames), so its size
 * is capped, and counts stay where a plan fits in memory. Out of bounds is an input error up front,
 * never an allocation failure halfway.
 */
export const SYNTH_LIMITS = {
  samples: 1_000_000,
  size: 4096,
  frames: 10_000,
  fps: 1000,
  concurrency: 64,
  clipBytes: 1024 ** 3,
} as const;

/** Resolved options with defaults (each checked against {@link SYNTH_LIMITS}). */
export function synthDefaults(o: SynthOptions): Required<SynthOptions> {
  const r = { train: 96, val: 24, seed: 42, size: 64, frames: 16, fps: 4, concurrency: 2, ...o };
  const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isSafeInteger(v) || v < min || v > max)
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${v}`, { [name]: v });
  };
  const L = SYNTH_LIMITS;
  int('train', r.train, 0, L.samples);
  int('val', r.val, 0, L.samples);
  int('seed', r.seed, 0);
  int('size', r.size, 16, L.size);
  int('frames', r.frames, 2, L.frames);
  int('concurrency', r.concurrency, 1, L.concurrency);
  if (r.size % 2 !== 0) throw new InvalidArgumentError(`size must be even (yuv420p), got ${r.size}`, { size: r.size });
  if (!(r.fps > 0 && r.fps <= L.fps))
    throw new InvalidArgumentError(`fps must be a number in (0, ${L.fps}], got ${r.fps}`, { fps: r.fps });
  const clipBytes = r.size * r.size * 3 * r.frames;
  if (clipBytes > L.clipBytes) {
    const mb = (b: number): string => `${Math.round(b / 1024 ** 2)} MiB`;
    throw new InvalidArgumentError(
      `a ${r.frames}-frame ${r.size}×${r.size} clip needs ${mb(clipBytes)} in memory, more than ${mb(L.clipBytes)}`,
      { size: r.size, frames: r.frames },
      'use a smaller size or fewer frames',
    );
  }
  return r;
}

/** Plan every sample (pure: the same options give the same plan). */
export function planSynth(options: SynthOptions): SynthSample[] {
  const o = synthDefaults(options);
  const out: SynthSample[] = [];
  for (const [split, count] of [
    ['train', o.train],
    ['val', o.val],
  ] as const) {
    for (let i = 0; i < count; i++) {
      // One stream per sample: sample i does not change when the counts do.
      const rng = mulberry32(hashString(`${o.seed}:${split}:${i}`));
      const attributes: SynthAttributes = {
        color: rng.pick(ATTRIBUTE_VALUES.color),
        shape: rng.pick(ATTRIBUTE_VALUES.shape),
        direction: rng.pick(ATTRIBUTE_VALUES.direction),
        background: rng.pick(ATTRIBUTE_VALUES.background),
      };
      const caption = synthCaption(attributes, rng.int(CAPTION_TEMPLATE_COUNT), rng.int(2));
      const margin = Math.round(o.size * 0.3);
      const crossOffset = margin + rng.int(o.size - 2 * margin + 1);
      out.push({ split, id: `synth_${split}_${String(i).padStart(4, '0')}`, attributes, caption, crossOffset });
    }
  }
  return out;
}

/** The label JSON of one sample (stable key order → byte-identical files). */
export function synthLabel(s: SynthSample, o: Required<SynthOptions>): string {
  const label = {
    annotation: { description_kr: s.caption },
    attributes: s.attributes,
    video: { width: o.size, height: o.size, frames: o.frames, fps: o.fps },
    source: { generator: '@kvc/video-io synth', seed: o.seed },
  };
  return JSON.stringify(label, null, 2) + '\n';
}

/** Write the dataset (cold; emits one progress event per sample, then completes). */
export function synthDataset(options: SynthOptions): Observable<SynthProgress> {
  return defer(() => {
    const o = synthDefaults(options);
    const root = resolve(o.out);
    const plan = planSynth(o);
    let done = 0;
    const dirs = defer(async () => {
      for (const split of ['train', 'val']) {
        for (const kind of ['labels', 'videos']) {
          const dir = join(root, split, kind);
          await mkdir(dir, { recursive: true }).catch(writeFailed(dir));
        }
      }
    }).pipe(ignoreElements());
    // The marker goes last: a dataset with a marker is complete (`kvc demo` reuses one that has it).
    const marker = defer(async () => {
      const { out: _out, concurrency: _c, ...recorded } = o;
      const file = join(root, 'synth.json');
      const text = JSON.stringify({ generator: '@kvc/video-io synth', ...recorded }, null, 2) + '\n';
      await writeFile(file, text).catch(writeFailed(file));
    }).pipe(ignoreElements());
    const samples = from(plan).pipe(
      mergeMap((s) => {
        const frames = renderClip(s.attributes, { size: o.size, frames: o.frames, crossOffset: s.crossOffset });
        const video = join(root, s.split, 'videos', `${s.id}.mp4`);
        return concat(
          encodeVideo(frames, video, { fps: o.fps }),
          defer(() => {
            const file = join(root, s.split, 'labels', `${s.id}.json`);
            return writeFile(file, synthLabel(s, o)).catch(writeFailed(file));
          }),
        ).pipe(ignoreElements(), (src) => concat(src, [s]));
      }, o.concurrency),
      map((s): SynthProgress => ({ type: 'written', split: s.split, id: s.id, done: ++done, total: plan.length })),
    );
    return concat(dirs, samples, marker);
  });
}
