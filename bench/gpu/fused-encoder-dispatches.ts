/**
 * How many kernels one CLIP vision forward dispatches with the fused LayerNorm and GELU kernels
 * (gpu/layer-norm-wgsl.ts, gpu/gelu-wgsl.ts) switched off and on: a random tower written to a temp
 * folder and loaded by ClipVisionModel.load, `frames` frames, the penultimate hidden state kvc
 * caches. tfjs kernels are tf.profile's `kernels` less its "unnamed scope" entries (one around
 * every custom-gradient op, no dispatch of their own); ours are counted apart (ownDispatchCount).
 * The counts do not depend on the device. First, the kernels against the tfjs ops on this device
 * at the tower's widths (fused-encoder-check.ts: worst error / derived bound, ≤ 1 passes). `tiny`
 * is a 64-wide 2-layer tower on 32-pixel frames (the demo's); `vit-l` takes CLIP ViT-L/14-336's
 * widths (`layers` of its 24), and `runs` > 0 then times that many forwards each way without the
 * profiler (the GPU machine).
 *
 *   bash bench/gpu/pack.sh bench/gpu/fused-encoder-dispatches.ts
 *   node .gpu/app/fused-encoder-dispatches.mjs webgpu [tiny|vit-l] [layers=2] [frames=8] [runs=0]  (lavapipe)
 *   bash bench/gpu/run-on-gpu.sh fused-encoder-dispatches webgpu vit-l 24 8 5                       (the H100)
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClipVisionModel,
  clipVisionShapes,
  initBackend,
  parseClipVisionConfig,
  setFusedElementwiseDefault,
} from '@kvc/models';
import { writeRandomModel } from '@kvc/models/testing';
import { ownDispatchCount } from '../../packages/models/src/gpu/webgpu-internals.js';
import { checkFusedEncoder } from './fused-encoder-check.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const size = process.argv[3] ?? 'tiny';
const layers = Number(process.argv[4] ?? 2);
const frames = Number(process.argv[5] ?? 8);
const runs = Number(process.argv[6] ?? 0);
await initBackend(backend);

const [hidden, image, patch, heads] = size === 'vit-l' ? [1024, 336, 14, 16] : [64, 32, 8, 4];
const json = {
  model_type: 'clip_vision_model',
  hidden_size: hidden,
  intermediate_size: 4 * hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_channels: 3,
  image_size: image,
  patch_size: patch,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
};
const dir = await mkdtemp(join(tmpdir(), 'kvc-fused-encoder-'));
await writeRandomModel(dir, json, clipVisionShapes(parseClipVisionConfig(json, 'fused-encoder-dispatches')), 1, 0.05);
const model = await ClipVisionModel.load(dir);
await rm(dir, { recursive: true });
const pixels = tf.randomNormal([frames, 3, image, image], 0, 1, 'float32', 2) as tf.Tensor4D;

/** One forward to the penultimate hidden state, read back. */
async function forward(): Promise<Float32Array> {
  const out = model.forward(pixels, { hiddenStates: [-2] });
  const data = (await out.hiddenStates[0]!.data()) as Float32Array;
  tf.dispose([out.lastHiddenState, out.poolerOutput, ...out.hiddenStates]);
  return data;
}

const tokens = (image / patch) ** 2 + 1;
// At most 1024 rows: the widths are what matter, and the host draws and reads every value.
(await checkFusedEncoder(Math.min(frames * tokens, 1024), hidden, 4 * hidden)).forEach((l) => console.log(l));
console.log(`backend ${tf.getBackend()}, CLIP vision ${size} ${layers} layers, ${frames} frames × ${tokens} tokens`);
const counts: Record<string, { tfjs: number; own: number; out: Float32Array }> = {};
for (const on of [false, true]) {
  setFusedElementwiseDefault(on);
  await forward(); // compile pipelines outside the count
  const own0 = ownDispatchCount();
  let out: Float32Array = new Float32Array();
  const info = await tf.profile(async () => void (out = await forward()));
  const scopes = info.kernels.filter((k) => k.name === 'unnamed scope').length;
  const c = { tfjs: info.kernels.length - scopes, own: ownDispatchCount() - own0, out };
  counts[on ? 'on' : 'off'] = c;
  console.log(
    `fused elementwise ${on ? 'on ' : 'off'}: tf.profile kernels ${info.kernels.length} (${scopes} custom-gradient ` +
      `scopes, ${c.tfjs} tfjs kernels) + ${c.own} own dispatches = ${c.tfjs + c.own}`,
  );
}
const [off, on] = [counts.off!, counts.on!];
const [before, saved] = [off.tfjs + off.own, off.tfjs + off.own - (on.tfjs + on.own)];
let diff = 0;
let scale = 0;
off.out.forEach((v, i) => {
  diff = Math.max(diff, Math.abs(v - on.out[i]!));
  scale = Math.max(scale, Math.abs(v));
});
console.log(
  `saved ${saved} of ${before} dispatches per forward (${((100 * saved) / before).toFixed(1)}%); ` +
    `penultimate hidden state: max |on − off| = ${diff.toExponential(2)} (max |off| ${scale.toExponential(2)})`,
);
for (const onNow of runs > 0 ? [false, true, false, true] : []) {
  setFusedElementwiseDefault(onNow);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await forward();
    ms.push(performance.now() - t0);
  }
  console.log(`fused elementwise ${onNow ? 'on ' : 'off'}: forward ms ${ms.map((m) => m.toFixed(1)).join(', ')}`);
}
process.exit(0);
