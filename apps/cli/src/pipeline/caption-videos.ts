/**
 * The notebook's "load for inference", as a stream: video files in, one event per file out, in
 * input order. Each video is decoded (the run's number of uniform frames, two ffmpeg processes at
 * a time), encoded by the frozen CLIP tower exactly as the feature cache stores it (same layer,
 * CLS dropped or kept, float16 rounding when the run cached float16), and captioned in batches.
 * A video that cannot be read becomes a `failed` event with its reason and hint; the others
 * still get captions. Only one batch of frames is held at a time.
 */
import { bufferCount, catchError, concatMap, from, map, of } from 'rxjs';
import type { Observable } from 'rxjs';
import { float16ToFloat32Array, float32ArrayToFloat16 } from '@kvc/feature-cache';
import { encodeFrames } from '@kvc/models';
import { orderedMergeMap, sampleVideo } from '@kvc/video-io';
import type { RgbFrame } from '@kvc/video-io';
import { toPrintableError } from '../cli-error.js';
import type { RunConfig } from '../config/run-config.js';
import type { RunModels } from './run-models.js';
import { captionFeatures } from './caption-features.js';
import { processorFrame } from './processor-frame.js';
import { featureView } from './motion-tokens.js';
import type { VisionEncoder } from './vision-encoder.js';

export type CaptionEvent =
  | {
      readonly type: 'caption';
      readonly video: string;
      readonly caption: string;
      readonly eosReached: boolean;
      readonly tokens: number;
    }
  | {
      readonly type: 'failed';
      readonly video: string;
      readonly code: string;
      readonly reason: string;
      readonly hint?: string;
    };

type Decoded =
  | { readonly video: string; readonly frames: readonly RgbFrame[] }
  | Extract<CaptionEvent, { type: 'failed' }>;

export function captionVideos(
  videos: readonly string[],
  parts: { readonly encoder: VisionEncoder; readonly models: RunModels; readonly config: RunConfig },
): Observable<CaptionEvent> {
  const { config, models } = parts;
  const promptIds = models.tokenizer.encode(config.prompt);
  const mapFrame = processorFrame(parts.encoder.processor); // full-size frames never wait for their batch
  return from(videos).pipe(
    orderedMergeMap(
      (video: string) =>
        sampleVideo(video, { numFrames: config.vision.frames, mapFrame }).pipe(
          map((v): Decoded => ({ video, frames: v.frames })),
          catchError((err: unknown) => {
            const p = toPrintableError(err);
            return of<Decoded>({
              type: 'failed',
              video,
              code: p.code,
              reason: p.message,
              ...(p.hint ? { hint: p.hint } : {}),
            });
          }),
        ),
      2,
    ),
    bufferCount(config.generation.batchSize),
    concatMap(async (batch): Promise<CaptionEvent[]> => {
      const ok = batch.filter((d): d is Extract<Decoded, { frames: unknown }> => 'frames' in d);
      const captions = ok.length ? await captionBatch(ok, parts, promptIds) : [];
      // Back in input order, failures where they were.
      return batch.map((d) => ('frames' in d ? captions[ok.indexOf(d)]! : d));
    }),
    concatMap((events) => from(events)),
  );
}

async function captionBatch(
  batch: readonly { video: string; frames: readonly RgbFrame[] }[],
  parts: { readonly encoder: VisionEncoder; readonly models: RunModels; readonly config: RunConfig },
  promptIds: readonly number[],
): Promise<CaptionEvent[]> {
  const { config, models, encoder } = parts;
  const h = encodeFrames(
    encoder.model,
    encoder.processor,
    batch.flatMap((d) => d.frames),
    { hiddenState: config.vision.layer, dropCls: config.vision.dropCls, batchSize: 32 },
  );
  const [, tokens = 0, dim = 0] = h.shape;
  let data: Float32Array;
  try {
    data = (await h.data()) as Float32Array;
  } finally {
    h.dispose();
  }
  // Exactly what the cache would have stored (float16 rounding included), then the run's view.
  if (config.features.dtype === 'float16') data = float16ToFloat32Array(float32ArrayToFloat16(data));
  const n = config.vision.frames * tokens * dim;
  const view = featureView(config);
  const rows = batch.map((_, k) =>
    view({ shape: [config.vision.frames * tokens, dim], data: data.subarray(k * n, (k + 1) * n) }),
  );
  const results = await captionFeatures(models, config, rows, promptIds);
  return results.map((r, k) => ({
    type: 'caption',
    video: batch[k]!.video,
    caption: (r.text ?? '').trim(),
    eosReached: r.reachedEos,
    tokens: r.ids.length,
  }));
}
