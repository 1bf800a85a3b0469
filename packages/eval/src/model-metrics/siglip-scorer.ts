/**
 * The SigLIP2 image–text score as a {@link Scorer}: per caption, the mean over its video's frames
 * of sigmoid(logit) (the seed's score, `siglipCaptionScore`). A batch runs the vision tower once
 * over the frames of its distinct videos (`imageBatchSize` frames a pass) and the text tower
 * once over its captions. The batch's videos are decoded `decodeConcurrency` at a time, and each
 * video's image embeddings are kept (on the host, 37 KB a seed video) for the scorer's later
 * evaluations: a training run evaluates the same validation videos after every epoch, and decoding
 * them one at a time took most of the 97-video evaluation's ~127 s of scoring on the H200 machine
 * (bench/results/2026-11-29-eval97-h200.md). Text is padded to `max_length` 64 (the model card); `padding:
 * 'longest'` tokenizes each caption alone with no padding, as the seed's per-sample
 * `padding=True` did, so its numbers can be compared with the notebook's.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  EncoderTokenizer,
  SiglipModel,
  loadImageProcessor,
  resolveModelDir,
  siglipCaptionScore,
  siglipTokenize,
  type Precision,
  type ResolveOptions,
} from '@kvc/models';
import { defaultDecodeConcurrency } from '@kvc/video-io';
import type { CaptionRecord } from '../predictions/caption-record.js';
import { ModelMetricError } from '../stream/evaluation-errors.js';
import { RunningMeans, type SampleScores, type Scorer } from '../stream/scorer.js';
import { type DecodedFrameSourceOptions, decodedFrameSource } from './decoded-frame-source.js';
import { mapBounded } from './map-bounded.js';
import { type SiglipFrameSource, type SiglipVideoInput, frameCount } from './siglip-video-input.js';

/** The seed's SigLIP2 checkpoint. */
export const SEED_SIGLIP_MODEL = 'google/siglip2-so400m-patch14-384';

/** Options of {@link SiglipScorer}. */
export interface SiglipScorerOptions extends ResolveOptions {
  /** Local folder or hub id (default the seed's siglip2-so400m-patch14-384). */
  readonly model?: string;
  /** Where frames come from (cached embeddings, your decoder); default: decode `video` with `decode`. */
  readonly frames?: SiglipFrameSource;
  /** Options of the default decoding frame source (data folder, frames per video). */
  readonly decode?: DecodedFrameSourceOptions;
  /** `max_length` (default, 64 tokens) or the seed's `longest`. */
  readonly padding?: 'max_length' | 'longest';
  /** Token limit (default 64, SigLIP's text positions). */
  readonly maxLength?: number;
  /** Frames per vision forward pass (default 32). */
  readonly imageBatchSize?: number;
  /** Replaces the tokenizer (tests feed reference ids through it): one id row a caption. */
  readonly tokenize?: (texts: readonly string[]) => readonly (readonly number[])[];
  /** Frozen weights in f32 (default) or f16 on WebGPU (the run's `precision`). */
  readonly precision?: Precision;
  /** Videos whose frames are fetched at once (default: one per core, at most 32, as `kvc cache`). */
  readonly decodeConcurrency?: number;
  /** Keep each video's image embeddings for later evaluations (default true; a video's frames never change). */
  readonly keepImageEmbeds?: boolean;
}

/** Captions of one video share its frames; a caption without a video is its own key. */
const videoKey = (r: CaptionRecord): string => r.video ?? `\u0000${r.id}`;

export class SiglipScorer implements Scorer {
  readonly name = 'siglip';
  readonly model: string;
  private loaded:
    | {
        model: SiglipModel;
        tokenize: (texts: readonly string[]) => readonly (readonly number[])[];
        frames: SiglipFrameSource;
      }
    | undefined;
  private readonly means = new RunningMeans();
  /** Image embeddings [F, H] of the videos scored so far, by video key (keepImageEmbeds). */
  private readonly kept = new Map<string, { data: Float32Array; shape: [number, number] }>();

  constructor(private readonly options: SiglipScorerOptions = {}) {
    this.model = options.model ?? SEED_SIGLIP_MODEL;
  }

  async init(): Promise<void> {
    this.means.reset();
    if (this.loaded) return;
    const o = this.options;
    const dir = await resolveModelDir(this.model, o);
    const model = await SiglipModel.load(dir, o.precision ? { precision: o.precision } : {});
    try {
      let tokenize = o.tokenize;
      if (!tokenize) {
        const tok = await EncoderTokenizer.load(dir);
        const opts = { padding: o.padding ?? 'max_length', maxLength: o.maxLength ?? 64 } as const;
        // 'longest' per caption: the seed tokenized one caption at a time, so nothing was padded.
        tokenize =
          opts.padding === 'longest'
            ? (texts) => texts.flatMap((t) => siglipTokenize(tok, [t], opts).inputIds)
            : (texts) => siglipTokenize(tok, texts, opts).inputIds;
      }
      const frames = o.frames ?? decodedFrameSource(await loadImageProcessor(dir), o.decode);
      this.loaded = { model, tokenize, frames };
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  async scoreBatch(records: readonly CaptionRecord[]): Promise<readonly SampleScores[]> {
    if (!this.loaded) throw new ModelMetricError('SiglipScorer.scoreBatch before init()', { scorer: this.name });
    const { model, tokenize } = this.loaded;
    const ids = tokenize(records.map((r) => r.prediction));
    if (ids.length !== records.length)
      throw new ModelMetricError(`tokenizer gave ${ids.length} rows for ${records.length} captions`, {});
    const videoEmbeds = await this.videoEmbeds(records);
    const textEmbeds = this.textEmbeds(model, ids);
    try {
      const scores: { siglip: number }[] = [];
      for (const [j, r] of records.entries()) {
        const img = videoEmbeds.get(videoKey(r))!;
        const logits = tf.tidy(() => model.logitsFromEmbeds(img, tf.slice(textEmbeds, [j, 0], [1, -1])).logitsPerImage);
        // Read asynchronously: webgpu in Node has no synchronous read.
        const data = await logits.data();
        logits.dispose();
        scores.push({ siglip: siglipCaptionScore({ data, shape: logits.shape as [number, number] }, 0) });
      }
      this.means.add(scores);
      return scores;
    } finally {
      tf.dispose([...videoEmbeds.values(), textEmbeds]);
    }
  }

  /**
   * Image embeddings [F, H] of each distinct video of the batch: kept ones, else from the frames. The
   * videos not kept are fetched `decodeConcurrency` at a time (their pixels are all held until embedded:
   * 16 seed videos at 384 px are ~230 MB); frames of several videos share a vision forward pass (up to
   * `imageBatchSize` frames).
   */
  private async videoEmbeds(records: readonly CaptionRecord[]): Promise<Map<string, tf.Tensor2D>> {
    const { model, frames } = this.loaded!;
    const chunk = this.options.imageBatchSize ?? 32;
    const out = new Map<string, tf.Tensor2D>();
    const missing = new Map<string, CaptionRecord>();
    for (const r of records) {
      const key = videoKey(r);
      const kept = this.kept.get(key);
      if (kept && !out.has(key)) out.set(key, tf.tensor2d(kept.data, kept.shape));
      else if (!kept && !missing.has(key)) missing.set(key, r);
    }
    let pending: { key: string; pixels: Extract<SiglipVideoInput, { pixels: unknown }>['pixels'] }[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      const [, c, h, w] = pending[0]!.pixels.shape;
      const per = c * h * w;
      const total = pending.reduce((a, p) => a + p.pixels.shape[0], 0);
      const all = new Float32Array(total * per);
      let off = 0;
      for (const p of pending) {
        if (p.pixels.shape[1] !== c || p.pixels.shape[2] !== h || p.pixels.shape[3] !== w) {
          throw new ModelMetricError('videos of one batch have frames of different sizes', {
            video: p.key,
            expected: [c, h, w],
            got: p.pixels.shape.slice(1),
          });
        }
        all.set(p.pixels.data, off);
        off += p.pixels.data.length;
      }
      const parts: tf.Tensor2D[] = [];
      for (let s = 0; s < total; s += chunk) {
        const n = Math.min(chunk, total - s);
        parts.push(
          tf.tidy(() => model.getImageFeatures(tf.tensor4d(all.subarray(s * per, (s + n) * per), [n, c, h, w]))),
        );
      }
      const joined = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
      if (parts.length > 1) tf.dispose(parts);
      let row = 0;
      for (const p of pending) {
        out.set(p.key, tf.slice(joined, [row, 0], [p.pixels.shape[0], -1]));
        row += p.pixels.shape[0];
      }
      joined.dispose();
      pending = [];
    };
    try {
      const todo = [...missing];
      const concurrency = this.options.decodeConcurrency ?? defaultDecodeConcurrency();
      const inputs = await mapBounded(todo, concurrency, ([, r]) => frames(r));
      for (const [i, [key, r]] of todo.entries()) {
        const input = inputs[i]!;
        if (frameCount(input) < 1) throw new ModelMetricError('a video gave no frames', { id: r.id, video: r.video });
        if ('imageEmbeds' in input)
          out.set(key, tf.tensor2d(input.imageEmbeds.data, [input.imageEmbeds.shape[0], input.imageEmbeds.shape[1]]));
        else pending.push({ key, pixels: input.pixels });
        if (pending.reduce((a, p) => a + p.pixels.shape[0], 0) >= chunk) flush();
      }
      flush();
      if (this.options.keepImageEmbeds ?? true) {
        for (const [key] of todo) {
          const t = out.get(key)!;
          this.kept.set(key, { data: (await t.data()) as Float32Array, shape: t.shape as [number, number] });
        }
      }
      return out;
    } catch (err) {
      tf.dispose([...out.values()]);
      throw err;
    }
  }

  /** Text embeddings [B, P]: one forward per distinct row length (one in max_length mode). */
  private textEmbeds(model: SiglipModel, ids: readonly (readonly number[])[]): tf.Tensor2D {
    const byLength = new Map<number, number[]>();
    ids.forEach((row, j) => byLength.set(row.length, [...(byLength.get(row.length) ?? []), j]));
    return tf.tidy(() => {
      const rows = new Array<tf.Tensor2D>(ids.length);
      for (const [len, js] of byLength) {
        const emb = model.getTextFeatures(
          tf.tensor2d(
            js.flatMap((j) => [...ids[j]!]),
            [js.length, len],
            'int32',
          ),
        );
        js.forEach((j, k) => (rows[j] = tf.slice(emb, [k, 0], [1, -1])));
      }
      return tf.concat(rows, 0);
    });
  }

  aggregate(): SampleScores {
    return this.means.means();
  }

  dispose(): void {
    this.loaded?.model.dispose();
    this.loaded = undefined;
    this.kept.clear();
  }
}
