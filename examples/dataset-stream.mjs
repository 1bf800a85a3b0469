#!/usr/bin/env node
// A dataset as a stream with your own skip policy: any layout kvc reads (an AIHub folder, JSONL
// manifests, a Hugging Face folder) → ffprobe every video → your rule (here: too short, or too
// small) turns a sample into a skip → uniform frames decoded through ffmpeg, several videos at a
// time → a per-video summary (size, duration, mean color, motion between the first and last frame).
// Nothing is lost silently: every skipped sample is counted by its reason code.
//
// Run (after `npm install`; `npx kvc synth --out data` writes a synthetic dataset):
//   node examples/dataset-stream.mjs data [--split train] [--frames 4] [--min-seconds 0] [--min-side 0]
// (`data` may also be a folder of <split>.jsonl manifests, one manifest, or a folder with metadata.csv)
import { parseArgs } from 'node:util';
import { lastValueFrom, map, reduce, tap } from 'rxjs';
import { datasetSource, decodeSamples, probeSamples } from '@kvc/video-io';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'string', default: 'train' },
    frames: { type: 'string', default: '4' },
    'min-seconds': { type: 'string', default: '0' },
    'min-side': { type: 'string', default: '0' },
  },
});
const root = positionals[0];
if (!root) {
  console.error(
    'usage: node examples/dataset-stream.mjs <dataset> [--split train] [--frames 4] [--min-seconds S] [--min-side PX]',
  );
  process.exit(2);
}
const minSeconds = Number(values['min-seconds']);
const minSide = Number(values['min-side']);

/** The custom policy: a probed sample that breaks a rule becomes a skip event with its own code. */
const policy = (ev) => {
  if (ev.type !== 'sample') return ev;
  const p = ev.probe;
  if (p.durationSec < minSeconds)
    return {
      type: 'skip',
      id: ev.id,
      file: ev.video,
      code: 'too-short',
      reason: `${p.durationSec.toFixed(2)} s < ${minSeconds} s`,
    };
  if (Math.min(p.width, p.height) < minSide)
    return {
      type: 'skip',
      id: ev.id,
      file: ev.video,
      code: 'too-small',
      reason: `${p.width}x${p.height}, shorter side < ${minSide}`,
    };
  return ev;
};

/** Mean RGB of a frame, and the mean absolute pixel change between two frames (0..255). */
const meanColor = (f) => {
  const s = [0, 0, 0];
  for (let i = 0; i < f.data.length; i++) s[i % 3] += f.data[i];
  return s.map((v) => Math.round((3 * v) / f.data.length));
};
const motion = (a, b) => {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d += Math.abs(a.data[i] - b.data[i]);
  return d / a.data.length;
};

const summary = await lastValueFrom(
  datasetSource({ path: root, split: values.split }).pipe(
    probeSamples({ countFrames: false }),
    map(policy),
    decodeSamples({ numFrames: Number(values.frames) }),
    tap((ev) => {
      if (ev.type === 'skip') return console.log(`skip   ${ev.id}  [${ev.code}] ${ev.reason.split('\n')[0]}`);
      const { video, sample } = ev;
      const first = video.frames[0];
      const last = video.frames.at(-1);
      console.log(
        `frames ${sample.id}  ${video.width}x${video.height}  ${video.probe.durationSec.toFixed(2)} s  ` +
          `indices ${video.indices.join(',')}  mean rgb(${meanColor(first).join(',')})  motion ${motion(first, last).toFixed(1)}  "${sample.caption}"`,
      );
    }),
    reduce((acc, ev) => {
      const k = ev.type === 'skip' ? ev.code : 'decoded';
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {}),
  ),
  { defaultValue: {} },
);
// decodeSamples decodes several videos at once but emits in input order: the output is deterministic.
console.log(
  `summary: ${
    Object.entries(summary)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'no samples'
  }`,
);
