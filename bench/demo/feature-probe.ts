// Probe: do the tiny CLIP features of the synthetic videos carry color / shape / direction?
// Spread across videos vs within, and a nearest-class-mean probe (train → val) per attribute.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ClipVisionModel, encodeFrames, initBackend, installWasmMatMulFix, loadImageProcessor, writeTinyClipVision } from '@kvc/models';
import { sampleVideo, type SynthAttributes } from '@kvc/video-io';

const data = process.argv[2]!;
const dir = `/tmp/kvc-probe-clip-${process.env.PATCH ?? 8}`;
await initBackend('wasm');
installWasmMatMulFix();
await writeTinyClipVision(dir, { patchSize: Number(process.env.PATCH ?? 8), seed: 42 });
const clip = await ClipVisionModel.load(dir);
const proc = await loadImageProcessor(dir);
const load = async (split: string) => {
  const out: { f: Float32Array; a: SynthAttributes }[] = [];
  for (const f of readdirSync(join(data, split, 'labels')).sort()) {
    const a = (JSON.parse(readFileSync(join(data, split, 'labels', f), 'utf8')) as { attributes: SynthAttributes }).attributes;
    const v = await firstValueFrom(sampleVideo(join(data, split, 'videos', f.replace('.json', '.mp4')), { numFrames: 8, resize: { mode: 'exact', width: 32, height: 32 } }));
    const e = encodeFrames(clip, proc, v.frames, { dropCls: true });
    out.push({ f: e.dataSync() as Float32Array, a });
    e.dispose();
  }
  return out;
};
const tr = await load('train');
const va = await load('val');
const n = tr[0]!.f.length;
const mean = new Float32Array(n);
for (const x of tr) x.f.forEach((v, i) => (mean[i]! += v / tr.length));
let across = 0, total = 0;
for (const x of tr) x.f.forEach((v, i) => { across += (v - mean[i]!) ** 2; total += v * v; });
console.log('feature dims', n, 'across-video variance / total energy', (across / total).toFixed(4));
for (const key of ['color', 'shape', 'direction', 'background'] as const) {
  const cls = new Map<string, Float32Array>(); const cnt = new Map<string, number>();
  for (const x of tr) { const c = cls.get(x.a[key]) ?? new Float32Array(n); x.f.forEach((v, i) => (c[i]! += v - mean[i]!)); cls.set(x.a[key], c); cnt.set(x.a[key], (cnt.get(x.a[key]) ?? 0) + 1); }
  for (const [k, c] of cls) c.forEach((_, i) => (c[i]! /= cnt.get(k)!));
  let ok = 0;
  for (const x of va) {
    let best = ''; let bd = Infinity;
    for (const [k, c] of cls) { let d = 0; x.f.forEach((v, i) => { d += (v - mean[i]! - c[i]!) ** 2; }); if (d < bd) { bd = d; best = k; } }
    ok += +(best === x.a[key]);
  }
  console.log(key, 'nearest-class-mean val accuracy', (ok / va.length).toFixed(2));
}
