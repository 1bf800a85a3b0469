// Probe: how fast the tiny CLIP's supervised pretraining runs and what it reaches on held-out
// frames, then a nearest-class-mean probe of the resulting video features on a demo dataset
// (train → val) per attribute, before and after. Knobs: env STEPS, CLIPS, LR, BS, SECS, SHAPEW, HIDDEN, LAYERS.
//   bash bench/demo/run.sh bench/demo/vision-pretrain-probe.ts /tmp/kvcm/data
import { cpSync, rmSync } from 'node:fs';
import { ClipVisionModel, initBackend, installWasmMatMulFix, loadImageProcessor } from '@kvc/models';
import { DEMO_VISION, DEMO_VISION_PRETRAIN } from '../../apps/cli/src/demo/build-demo-models.js';
import { pretrainTinyClipVision } from '../../apps/cli/src/demo/pretrain-tiny-clip-vision.js';
import { writeTinyClipVision } from '../../apps/cli/src/demo/write-tiny-clip-vision.js';
import { visionPretrainFrames } from '../../apps/cli/src/demo/vision-pretrain-frames.js';
import { loadSplitFeatures, nearestClassMeanAccuracy } from './video-feature-probe.js';

const data = process.argv[2];
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const pre = {
  ...DEMO_VISION_PRETRAIN,
  steps: env('STEPS', DEMO_VISION_PRETRAIN.steps),
  clips: env('CLIPS', DEMO_VISION_PRETRAIN.clips),
  lr: env('LR', DEMO_VISION_PRETRAIN.lr),
  batchSize: env('BS', DEMO_VISION_PRETRAIN.batchSize),
  maxSeconds: env('SECS', 600),
};
await initBackend('wasm');
installWasmMatMulFix();
const base = '/tmp/kvc-vprobe-base';
const dir = '/tmp/kvc-vprobe-trained';
rmSync(dir, { recursive: true, force: true });
await writeTinyClipVision(base, {
  ...DEMO_VISION,
  hiddenSize: env('HIDDEN', DEMO_VISION.hiddenSize!),
  numLayers: env('LAYERS', DEMO_VISION.numLayers!),
  seed: 42,
});
cpSync(base, dir, { recursive: true });
let t = Date.now();
const set = visionPretrainFrames(await loadImageProcessor(dir), {
  clips: pre.clips,
  framesPerClip: pre.framesPerClip,
  seed: 42 + 100_003,
  grid: 2,
});
console.log(`frames ${set.frames.shape[0]} rendered+processed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
t = Date.now();
// SHAPEW weights the shape loss (the hardest target).
const targets = set.targets.map((x) => (x.name === 'shape' ? { ...x, weight: env('SHAPEW', 1) } : x));
const r = await pretrainTinyClipVision(dir, set.frames, targets, {
  ...pre,
  seed: 42,
  onStep: (s) =>
    s.step % 50 === 0 && console.log(`step ${s.step} loss ${s.loss.toFixed(3)} ${s.elapsedS.toFixed(0)} s`),
});
console.log(JSON.stringify({ pre, before: r.before, after: r.after, steps: r.steps, seconds: r.seconds }));

if (data) {
  for (const d of [base, dir]) {
    const clip = await ClipVisionModel.load(d);
    const proc = await loadImageProcessor(d);
    const tr = await loadSplitFeatures(data, 'train', clip, proc);
    const va = await loadSplitFeatures(data, 'val', clip, proc);
    const res = nearestClassMeanAccuracy(tr, va);
    console.log(
      d === base ? 'random tower' : 'pretrained tower',
      'nearest-class-mean val accuracy',
      JSON.stringify(res),
    );
    clip.dispose();
  }
}
