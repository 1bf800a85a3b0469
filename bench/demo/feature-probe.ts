// Probe: do the tiny CLIP features of the synthetic videos carry color / shape / direction?
// Spread across videos vs within, and a nearest-class-mean probe (train → val) per attribute.
import { ClipVisionModel, initBackend, installWasmMatMulFix, loadImageProcessor } from '@kvc/models';
import { writeTinyClipVision } from '../../apps/cli/src/demo/write-tiny-clip-vision.js';
import { loadSplitFeatures, nearestClassMeanAccuracy } from './video-feature-probe.js';

const data = process.argv[2]!;
const dir = `/tmp/kvc-probe-clip-${process.env.PATCH ?? 8}`;
await initBackend('wasm');
installWasmMatMulFix();
await writeTinyClipVision(dir, { patchSize: Number(process.env.PATCH ?? 8), seed: 42 });
const clip = await ClipVisionModel.load(dir);
const proc = await loadImageProcessor(dir);
const tr = await loadSplitFeatures(data, 'train', clip, proc);
const va = await loadSplitFeatures(data, 'val', clip, proc);
const n = tr[0]!.f.length;
const mean = new Float32Array(n);
for (const x of tr) x.f.forEach((v, i) => (mean[i]! += v / tr.length));
let across = 0,
  total = 0;
for (const x of tr)
  x.f.forEach((v, i) => {
    across += (v - mean[i]!) ** 2;
    total += v * v;
  });
console.log('feature dims', n, 'across-video variance / total energy', (across / total).toFixed(4));
for (const [key, acc] of Object.entries(nearestClassMeanAccuracy(tr, va, mean)))
  console.log(key, 'nearest-class-mean val accuracy', acc.toFixed(2));
