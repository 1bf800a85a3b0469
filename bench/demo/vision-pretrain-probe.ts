// Probe: how fast the tiny CLIP's supervised pretraining runs and what it reaches on held-out
// frames, then a nearest-class-mean probe of the resulting video features on a demo dataset
// (train → val) per attribute, before and after. Knobs: env STEPS, CLIPS, LR, BS, SECS, SHAPEW, HIDDEN, LAYERS.
//   bash bench/demo/run.sh bench/demo/vision-pretrain-probe.ts /tmp/kvcm/data
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ClipVisionModel, encodeFrames, initBackend, installWasmMatMulFix, loadImageProcessor, pretrainTinyClipVision, writeTinyClipVision } from '@kvc/models';
import { sampleVideo, type SynthAttributes } from '@kvc/video-io';
import { DEMO_VISION, DEMO_VISION_PRETRAIN } from '../../apps/cli/src/demo/build-demo-models.js';
import { visionPretrainFrames } from '../../apps/cli/src/demo/vision-pretrain-frames.js';

const data = process.argv[2];
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const pre = { ...DEMO_VISION_PRETRAIN, steps: env('STEPS', DEMO_VISION_PRETRAIN.steps), clips: env('CLIPS', DEMO_VISION_PRETRAIN.clips), lr: env('LR', DEMO_VISION_PRETRAIN.lr), batchSize: env('BS', DEMO_VISION_PRETRAIN.batchSize), maxSeconds: env('SECS', 600) };
await initBackend('wasm');
installWasmMatMulFix();
const base = '/tmp/kvc-vprobe-base';
const dir = '/tmp/kvc-vprobe-trained';
rmSync(dir, { recursive: true, force: true });
await writeTinyClipVision(base, { ...DEMO_VISION, hiddenSize: env('HIDDEN', DEMO_VISION.hiddenSize!), numLayers: env('LAYERS', DEMO_VISION.numLayers!), seed: 42 });
cpSync(base, dir, { recursive: true });
let t = Date.now();
const set = visionPretrainFrames(await loadImageProcessor(dir), { clips: pre.clips, framesPerClip: pre.framesPerClip, seed: 42 + 100_003, grid: 2 });
console.log(`frames ${set.frames.shape[0]} rendered+processed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
t = Date.now();
// SHAPEW weights the shape loss (the hardest target).
const targets = set.targets.map((x) => (x.name === 'shape' ? { ...x, weight: env('SHAPEW', 1) } : x));
const r = await pretrainTinyClipVision(dir, set.frames, targets, { ...pre, seed: 42, onStep: (s) => s.step % 50 === 0 && console.log(`step ${s.step} loss ${s.loss.toFixed(3)} ${s.elapsedS.toFixed(0)} s`) });
console.log(JSON.stringify({ pre, before: r.before, after: r.after, steps: r.steps, seconds: r.seconds }));

if (data) {
  for (const d of [base, dir]) {
    const clip = await ClipVisionModel.load(d);
    const proc = await loadImageProcessor(d);
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
    const res: Record<string, number> = {};
    for (const key of ['color', 'shape', 'direction', 'background'] as const) {
      const cls = new Map<string, Float32Array>();
      const cnt = new Map<string, number>();
      for (const x of tr) {
        const c = cls.get(x.a[key]) ?? new Float32Array(n);
        x.f.forEach((v, i) => (c[i]! += v));
        cls.set(x.a[key], c);
        cnt.set(x.a[key], (cnt.get(x.a[key]) ?? 0) + 1);
      }
      for (const [k, c] of cls) c.forEach((_, i) => (c[i]! /= cnt.get(k)!));
      let ok = 0;
      for (const x of va) {
        let best = '';
        let bd = Infinity;
        for (const [k, c] of cls) {
          const dd = x.f.reduce((s, v, i) => s + (v - c[i]!) ** 2, 0);
          if (dd < bd) [bd, best] = [dd, k];
        }
        if (best === x.a[key]) ok++;
      }
      res[key] = ok / va.length;
    }
    console.log(d === base ? 'random tower' : 'pretrained tower', 'nearest-class-mean val accuracy', JSON.stringify(res));
    clip.dispose();
  }
}
