/**
 * Vision features of one split into the LMDB cache: hits are skipped at once; misses are decoded
 * (8 uniform frames, two videos at a time), encoded by the frozen CLIP tower in batches of
 * videos through `cacheThrough`, and written. A video that cannot be decoded is reported and
 * skipped, never fatal. Returns each usable sample's cache key.
 */
import { EMPTY, catchError, from, lastValueFrom, map, mergeMap, tap } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { cacheThrough, featureKey, videoIdentity } from '@kvc/feature-cache';
import type { FeatureCache, FeatureKey, FeatureTensor } from '@kvc/feature-cache';
import { encodeFrames } from '@kvc/models';
import { sampleVideo } from '@kvc/video-io';
import type { RgbFrame, SampleEvent } from '@kvc/video-io';
import type { Output } from '../output.js';
import type { RunConfig } from '../config/run-config.js';
import type { VisionEncoder } from './vision-encoder.js';

export interface CachedSplit {
  /** Sample id → cache key of its features (only usable samples). */
  readonly keys: ReadonlyMap<string, string>;
  readonly skipped: readonly { id: string; video: string; reason: string }[];
  readonly hits: number;
  readonly encoded: number;
}

interface Decoded {
  readonly sample: SampleEvent;
  readonly key: FeatureKey;
  readonly frames: readonly RgbFrame[];
}

export async function cacheSplitFeatures(args: {
  readonly split: string;
  readonly samples: readonly SampleEvent[];
  readonly cache: FeatureCache;
  readonly encoder: VisionEncoder;
  readonly config: RunConfig;
  readonly out: Output;
}): Promise<CachedSplit> {
  const { samples, cache, encoder, config, out } = args;
  const keyed = await Promise.all(samples.map(async (s) => ({ sample: s, key: featureKey(await videoIdentity(s.video), encoder.recipe) })));
  const keys = new Map<string, string>();
  const misses: typeof keyed = [];
  for (const k of keyed) {
    if (cache.has(k.key)) keys.set(k.sample.id, k.key.key);
    else misses.push(k);
  }
  const hits = keys.size;
  const skipped: { id: string; video: string; reason: string }[] = [];
  const bar = out.progress(`features ${args.split}`, keyed.length);
  bar.tick(hits, hits ? `${hits} cached` : undefined);
  let encoded = 0;
  if (misses.length) {
    const encode = (batch: readonly Decoded[]): Promise<FeatureTensor[]> => Promise.resolve(encodeBatch(batch, encoder, config));
    await lastValueFrom(
      from(misses).pipe(
        mergeMap(
          (m) =>
            sampleVideo(m.sample.video, { numFrames: config.vision.frames }).pipe(
              map((v): Decoded => ({ sample: m.sample, key: m.key, frames: v.frames })),
              catchError((err: unknown) => {
                const reason = (err as Error).message;
                skipped.push({ id: m.sample.id, video: m.sample.video, reason });
                out.warn(`skipped ${args.split}/${m.sample.id}: cannot decode ${m.sample.video}: ${reason}`);
                out.event('skip', { split: args.split, id: m.sample.id, file: m.sample.video, code: 'undecodable-video', reason });
                bar.tick(1);
                return EMPTY;
              }),
            ),
          2,
        ),
        cacheThrough(encode, { cache, keyOf: (d) => d.key, batchSize: config.features.batchVideos }),
        tap((r) => {
          keys.set(r.item.sample.id, r.item.key.key);
          encoded++;
          bar.tick(1);
        }),
      ),
      { defaultValue: undefined },
    );
  }
  bar.done();
  return { keys, skipped, hits, encoded };
}

/** Frames of several videos through CLIP at once; each video's features as [frames·tokens, dim]. */
function encodeBatch(batch: readonly Decoded[], encoder: VisionEncoder, config: RunConfig): FeatureTensor[] {
  const all = batch.flatMap((d) => d.frames);
  const h = encodeFrames(encoder.model, encoder.processor, all, { hiddenState: config.vision.layer, dropCls: config.vision.dropCls, batchSize: 32 });
  try {
    const [, tokens, dim] = h.shape;
    const data = h.dataSync() as Float32Array;
    let offset = 0;
    return batch.map((d) => {
      const n = d.frames.length * tokens * dim;
      const t = { data: data.slice(offset, offset + n), shape: [d.frames.length * tokens, dim] };
      offset += n;
      return t;
    });
  } finally {
    tf.dispose(h);
  }
}
