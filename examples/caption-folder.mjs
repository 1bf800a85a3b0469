#!/usr/bin/env node
// Caption every video of a folder with a trained run, built from the packages' pieces (no CLI):
// the notebook's "load for inference" — base models from the run's config.json, the trained
// projector (projector.safetensors) and LoRA adapter (PEFT folder, the same files Python peft
// loads) from a checkpoint — then a stream: files → uniform frames (ffmpeg, two videos at a time,
// broken files reported and skipped) → batches of videos → CLIP features → greedy captions that
// stop at EOS. Prints `file<TAB>caption<TAB>eos|cut` per video.
//
// `kvc caption` does the same for files you name; this shows how to put it in your own program.
//
// Run (after `npm install` and `kvc train ... --out runs/my-run`):
//   node examples/caption-folder.mjs my-videos/ --run runs/my-run [--checkpoint best|last|DIR] [--batch 4] [--backend auto]
import { readFile, readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMPTY, bufferCount, catchError, concatMap, from, lastValueFrom, map, tap } from 'rxjs';
import * as tf from '@tensorflow/tfjs-core';
import {
  ClipVisionModel,
  LoraAdapter,
  Projector,
  encodeFrames,
  initBackend,
  loadImageProcessor,
  loadQwen3,
  loadTokenizer,
  resolveModelDir,
  vlmGenerate,
} from '@kvc/models';
import { orderedMergeMap, sampleVideo } from '@kvc/video-io';

const VIDEO_EXTENSIONS = new Set(['.mp4', '.mov', '.mkv', '.avi', '.webm', '.m4v']);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    run: { type: 'string' },
    checkpoint: { type: 'string', default: 'best' },
    batch: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'auto' },
  },
});
const folder = positionals[0];
if (!folder || !values.run) {
  console.error(
    'usage: node examples/caption-folder.mjs <videoDir> --run <runDir> [--checkpoint best|last|DIR] [--batch 4]',
  );
  process.exit(2);
}

// --- the run: its resolved config and the checkpoint folder
const config = JSON.parse(await readFile(join(values.run, 'config.json'), 'utf8'));
const checkpoint =
  values.checkpoint === 'best'
    ? join(values.run, 'best')
    : values.checkpoint === 'last'
      ? join(values.run, 'checkpoints', (await readFile(join(values.run, 'checkpoints', 'latest'), 'utf8')).trim())
      : values.checkpoint;
await initBackend(values.backend, { purpose: 'inference' });

// --- load for inference: frozen CLIP + Qwen3 base, trained projector + LoRA
const visionDir = await resolveModelDir(config.vision.model, { revision: config.vision.revision });
const llmDir = await resolveModelDir(config.llm.model, { revision: config.llm.revision });
const clip = await ClipVisionModel.load(visionDir);
const processor = await loadImageProcessor(visionDir);
const model = await loadQwen3(llmDir);
const tokenizer = await loadTokenizer(config.llm.tokenizer ? await resolveModelDir(config.llm.tokenizer) : llmDir);
const projector = await Projector.load(join(checkpoint, 'projector.safetensors'));
const lora = await LoraAdapter.load(join(checkpoint, 'adapter'), model.linearModules());
const promptIds = tokenizer.encode(config.prompt);
const eosTokenId = tokenizer.eosTokenId ?? model.config.eosTokenIds[0];
const frames = config.vision.frames;

/** One batch of decoded videos → captions. */
async function captionBatch(batch) {
  const x = tf.tidy(() => {
    const h = encodeFrames(
      clip,
      processor,
      batch.flatMap((v) => v.frames),
      { hiddenState: config.vision.layer, dropCls: config.vision.dropCls, batchSize: 32 },
    );
    // [videos·frames, tokens, dim] → [videos, frames·tokens, dim]: each video is one sequence of patch features.
    return tf.reshape(h, [batch.length, frames * h.shape[1], h.shape[2]]);
  });
  try {
    const results = await vlmGenerate({ model, projector, lora }, x, promptIds, {
      maxNewTokens: config.generation.maxNewTokens,
      repetitionPenalty: config.generation.repetitionPenalty,
      eosTokenId,
      tokenizer,
    });
    return results.map((r, i) => ({ file: batch[i].file, caption: (r.text ?? '').trim(), eos: r.reachedEos }));
  } finally {
    x.dispose();
  }
}

const files = (await readdir(folder))
  .filter((f) => VIDEO_EXTENSIONS.has(extname(f).toLowerCase()))
  .sort()
  .map((f) => resolve(folder, f));
let captioned = 0;
let failed = 0;
await lastValueFrom(
  from(files).pipe(
    orderedMergeMap(
      (file) =>
        sampleVideo(file, { numFrames: frames }).pipe(
          map((v) => ({ file, frames: v.frames })),
          catchError((err) => {
            failed++;
            console.error(`skipped ${file}: ${err.message.split('\n')[0]}${err.hint ? ` (hint: ${err.hint})` : ''}`);
            return EMPTY;
          }),
        ),
      2,
    ),
    bufferCount(Number(values.batch)),
    concatMap(captionBatch),
    concatMap((captions) => from(captions)),
    tap((c) => {
      captioned++;
      console.log(`${c.file}\t${c.caption}\t${c.eos ? 'eos' : 'cut'}`);
    }),
  ),
  { defaultValue: undefined },
);
for (const m of [clip, model, projector, lora]) m.dispose();
console.error(`${captioned} captioned, ${failed} skipped`);
process.exitCode = failed ? 1 : 0;
