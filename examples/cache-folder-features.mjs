#!/usr/bin/env node
// Cache the CLIP features of your own folder of videos — a plain folder of .mp4/.mov/.mkv/...,
// no labels — in an LMDB feature cache, with `cacheThrough` from @kvc/feature-cache, then print
// the cache's stats. Run it twice: the second time every video is a hit and nothing is decoded.
//
// The stream: files → cache key (file identity + feature recipe) → skip policy (a video not yet
// cached must at least probe as a video; a broken file is reported and skipped, never fatal) →
// cacheThrough: hits are read from LMDB, misses are batched across videos, decoded (uniform
// frames through ffmpeg), encoded by the frozen vision tower, written, then emitted.
//
// The recipe mirrors `kvc train` / `kvc cache` (last hidden state, CLS dropped, uniform frames,
// preprocessing version kvc-pre-1), so a run with the same vision.model string, frame count and
// features.dtype finds these entries in the same cache folder.
//
// Run (after `npm install`; the vision model is a local folder or a hub id already in the
// Hugging Face cache, e.g. openai/clip-vit-large-patch14-336):
//   node examples/cache-folder-features.mjs my-videos/ --vision openai/clip-vit-large-patch14-336 \
//     --cache .kvc-cache/features [--frames 8] [--dtype float16] [--batch 4] [--backend auto]
import { readdir } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EMPTY,
  catchError,
  concat,
  concatMap,
  defer,
  filter,
  from,
  ignoreElements,
  lastValueFrom,
  map,
  of,
  tap,
} from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import { cacheThrough, featureKey, videoIdentity, withFeatureCache } from '@kvc/feature-cache';
import { ClipVisionModel, encodeFrames, initBackend, loadImageProcessor, resolveModelDir } from '@kvc/models';
import { orderedMergeMap, probeVideo, sampleVideo } from '@kvc/video-io';

const VIDEO_EXTENSIONS = new Set(['.mp4', '.mov', '.mkv', '.avi', '.webm', '.m4v']);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    vision: { type: 'string' },
    cache: { type: 'string' },
    frames: { type: 'string', default: '8' },
    dtype: { type: 'string', default: 'float16' },
    batch: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'auto' },
  },
});
const folder = positionals[0];
if (!folder || !values.vision || !values.cache) {
  console.error(
    'usage: node examples/cache-folder-features.mjs <videoDir> --vision <model dir|hub id> --cache <dir> [--frames 8] [--dtype float16|float32] [--batch 4]',
  );
  process.exit(2);
}
const numFrames = Number(values.frames);

const files = (await readdir(folder))
  .filter((f) => VIDEO_EXTENSIONS.has(extname(f).toLowerCase()))
  .sort()
  .map((f) => resolve(folder, f));
const backend = await initBackend(values.backend, { purpose: 'inference' });
console.error(`backend ${backend.backend}; ${files.length} videos in ${folder}`);

const modelDir = await resolveModelDir(values.vision, { allowDownload: false });
const model = await ClipVisionModel.load(modelDir);
const processor = await loadImageProcessor(modelDir);
const recipe = {
  encoderId: values.vision,
  encoderRevision: 'main',
  layer: -1,
  frameCount: numFrames,
  sampling: { strategy: 'uniform-linspace', dropCls: true },
  preprocessingVersion: 'kvc-pre-1',
  dtype: values.dtype,
};

/** Misses only: decode each video's uniform frames, run all frames of the batch through CLIP at once. */
async function encode(batch) {
  const videos = await Promise.all(batch.map((item) => lastValueFrom(sampleVideo(item.file, { numFrames }))));
  const h = encodeFrames(
    model,
    processor,
    videos.flatMap((v) => v.frames),
    { hiddenState: -1, dropCls: true, batchSize: 32 },
  );
  try {
    const [, tokens, dim] = h.shape;
    const data = await h.data();
    const size = numFrames * tokens * dim;
    return batch.map((_, i) => ({ shape: [numFrames * tokens, dim], data: data.slice(i * size, (i + 1) * size) }));
  } finally {
    tf.dispose(h);
  }
}

let skipped = 0;
const stats = await lastValueFrom(
  // withFeatureCache opens the LMDB environment for this subscription and closes it on teardown.
  withFeatureCache(values.cache, {}, (cache) =>
    concat(
      from(files).pipe(
        concatMap(async (file) => ({ file, key: featureKey(await videoIdentity(file), recipe) })),
        // Skip policy: hits pass at once; a miss must probe as a video (cheap, no frame count).
        orderedMergeMap(
          (item) =>
            cache.has(item.key)
              ? of(item)
              : probeVideo(item.file, { countFrames: false }).pipe(
                  map(() => item),
                  catchError((err) => {
                    skipped++;
                    console.log(`skipped  ${item.file}: ${err.message.split('\n')[0]}`);
                    return EMPTY;
                  }),
                ),
          2,
        ),
        cacheThrough(encode, { cache, keyOf: (item) => item.key, batchSize: Number(values.batch) }),
        tap((r) =>
          console.log(
            `${r.source === 'cache' ? 'hit     ' : 'encoded '} ${r.item.file} [${r.features.shape.join(' x ')}]`,
          ),
        ),
        ignoreElements(),
      ),
      // After the last write: what the cache now holds, and this session's hits and misses.
      defer(() => of(cache.stats())),
    ),
  ).pipe(filter(Boolean)),
);
model.dispose();

const s = stats.session;
console.log(`cache ${stats.path}: ${stats.entries} entries, ${(stats.bytes / 1e6).toFixed(2)} MB of features`);
console.log(`this run: ${s.hits} hits, ${s.misses} misses, ${s.writes} written, ${skipped} skipped`);
