/**
 * Vision features of one split into the LMDB cache, through feature-cache's `cacheFeatures`: hits
 * cost a cache read; misses are decoded (uniform frames, several videos at once:
 * `features.decodeConcurrency`, by default one per core; in worker threads unless `features.decodeIn` is
 * `main`: frame-decoder.ts), each frame
 * shrunk to what the image processor keeps as it arrives, encoded by the frozen CLIP tower in
 * batches of videos while the next videos decode, and written one LMDB transaction a batch. The
 * decoded videos alive at once are bounded (a batch being encoded plus the decodes feeding the
 * next), so memory does not grow with the dataset or the videos' resolution. A video that cannot
 * be decoded is reported (a skip event with video-io's code) and skipped, never fatal. A GPU buffer
 * pool too small for a batch is reported once (pool-churn-watch.ts). Returns each usable sample's
 * cache key.
 */
import { concatMap, defer, filter, finalize, from, lastValueFrom, tap } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { cacheFeatures, featureKey, videoIdentity } from '@kvc/feature-cache';
import type { FeatureCache, FeatureKey, FeatureTensor } from '@kvc/feature-cache';
import { encodeFrames, gpuPoolStats } from '@kvc/models';
import { decodeSkip, defaultDecodeConcurrency } from '@kvc/video-io';
import type { FramesEvent, SampleEvent, SkipEvent } from '@kvc/video-io';
import type { Output } from '../output.js';
import type { RunConfig } from '../config/run-config.js';
import { openFrameDecoder } from './frame-decoder.js';
import { reportSkip } from './report-skip.js';
import { poolChurnWatch } from './pool-churn-watch.js';
import type { VisionEncoder } from './vision-encoder.js';

export interface CachedSplit {
  /** Sample id → cache key of its features (only usable samples). */
  readonly keys: ReadonlyMap<string, string>;
  /** Samples whose video could not be decoded, with video-io's skip code and the reason. */
  readonly skipped: readonly SkipEvent[];
  readonly hits: number;
  readonly encoded: number;
  /** Samples left to other shards by `keep`. */
  readonly elsewhere: number;
  readonly timing: CacheTiming;
}

/**
 * Where a split's caching time went: its wall time, the decodes' wall times added up (they overlap,
 * `decodeSlots` at once) and the encoder's. Which stage keeps the other waiting shows in
 * `encodeMs / wallMs` (the encoder's share) and `decodeMs / (wallMs · decodeSlots)` (the decoders').
 */
export interface CacheTiming {
  readonly wallMs: number;
  readonly decodeMs: number;
  readonly encodeMs: number;
  /**
   * Of encodeMs: the host's part (the image processor on the frames, recording the tower's ops) and the wait for the
   * features to come back (on webgpu the GPU runs the tower then; the rest is copying them out).
   */
  readonly encodeHostMs?: number;
  readonly encodeWaitMs?: number;
  readonly decodeSlots: number;
  /** Where the decodes ran (frame-decoder.ts). */
  readonly decodeIn: 'workers' | 'main';
}

export async function cacheSplitFeatures(args: {
  readonly split: string;
  readonly samples: readonly SampleEvent[];
  readonly cache: FeatureCache;
  readonly encoder: VisionEncoder;
  readonly config: RunConfig;
  readonly out: Output;
  /** Only samples whose cache key this accepts (a `--shard`); default all. */
  readonly keep?: (key: string) => boolean;
}): Promise<CachedSplit> {
  const { split, samples, cache, encoder, config, out, keep } = args;
  const keys = new Map<string, string>();
  const skipped: SkipEvent[] = [];
  let hits = 0;
  let encoded = 0;
  let elsewhere = 0;
  const bar = out.progress(`features ${split}`, samples.length);
  const decodeConcurrency = config.features.decodeConcurrency || defaultDecodeConcurrency();
  const batchSize = config.features.batchVideos;
  const decoder = await openFrameDecoder({
    processor: encoder.processor,
    decodeIn: config.features.decodeIn,
    slots: decodeConcurrency,
    out,
  });
  const churn = poolChurnWatch(gpuPoolStats);
  const start = performance.now();
  let decodeMs = 0;
  let encodeMs = 0;
  const spent = { hostMs: 0, waitMs: 0 };
  try {
    await lastValueFrom(
      from(samples).pipe(
        concatMap(async (sample) => ({ sample, key: featureKey(await videoIdentity(sample.video), encoder.recipe) })),
        filter(({ key }) => {
          if (!keep || keep(key.key)) return true;
          elsewhere++;
          bar.tick(1);
          return false;
        }),
        cacheFeatures<{ sample: SampleEvent; key: FeatureKey }, FramesEvent>({
          cache,
          keyOf: (k) => k.key,
          decode: (k) =>
            defer(() => {
              const t = performance.now();
              return decoder
                .decode(k.sample, config.vision.frames)
                .pipe(finalize(() => (decodeMs += performance.now() - t)));
            }),
          encode: async (batch) => {
            const t = performance.now();
            const features = await encodeBatch(batch, encoder, config, spent);
            encodeMs += performance.now() - t;
            const warning = churn.afterBatch();
            if (warning) out.warn(warning);
            return features;
          },
          batchSize,
          decodeConcurrency,
          // A batch being encoded, the next one decoded, and every decode slot busy on top of that.
          maxInFlight: 2 * batchSize + decodeConcurrency,
        }),
        tap((r) => {
          if (r.source === 'skipped') {
            const s = decodeSkip(r.item.sample, r.error); // rethrows what is not the video's fault (no ffmpeg)
            skipped.push(s);
            reportSkip(out, split, s);
          } else {
            keys.set(r.item.sample.id, r.key);
            if (r.source === 'cache') hits++;
            else encoded++;
          }
          bar.tick(1, hits ? `${hits} cached` : undefined);
        }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    await decoder.close();
  }
  bar.done();
  const timing = {
    wallMs: performance.now() - start,
    decodeMs,
    encodeMs,
    encodeHostMs: spent.hostMs,
    encodeWaitMs: spent.waitMs,
    decodeSlots: decodeConcurrency,
    decodeIn: decoder.where,
  };
  return { keys, skipped, hits, encoded, elsewhere, timing };
}

/**
 * Frames of several videos through CLIP at once; each video's features as [frames·tokens, dim].
 * Read asynchronously: webgpu in Node has no synchronous read.
 */
async function encodeBatch(
  batch: readonly FramesEvent[],
  encoder: VisionEncoder,
  config: RunConfig,
  spent: { hostMs: number; waitMs: number },
): Promise<FeatureTensor[]> {
  const all = batch.flatMap((d) => d.video.frames);
  const t0 = performance.now();
  const h = encodeFrames(encoder.model, encoder.processor, all, {
    hiddenState: config.vision.layer,
    dropCls: config.vision.dropCls,
    batchSize: 32,
  });
  const t1 = performance.now();
  spent.hostMs += t1 - t0;
  try {
    const [, tokens, dim] = h.shape;
    const data = (await h.data()) as Float32Array;
    spent.waitMs += performance.now() - t1;
    let offset = 0;
    return batch.map((d) => {
      const n = d.video.frames.length * tokens * dim;
      const t = { data: data.slice(offset, offset + n), shape: [d.video.frames.length * tokens, dim] };
      offset += n;
      return t;
    });
  } finally {
    tf.dispose(h);
  }
}
