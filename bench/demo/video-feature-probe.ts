// Shared by the bench/demo probes: a split's tiny-CLIP video features (8 frames at 32×32, CLS
// dropped, as the demo caches them) with their attributes, and a nearest-class-mean probe.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { encodeFrames, type ClipVisionModel, type ImageProcessor } from '@kvc/models';
import { sampleVideo, type SynthAttributes } from '@kvc/video-io';

export interface VideoFeatures {
  readonly f: Float32Array;
  readonly a: SynthAttributes;
}

export async function loadSplitFeatures(
  data: string,
  split: string,
  clip: ClipVisionModel,
  proc: ImageProcessor,
): Promise<VideoFeatures[]> {
  const out: VideoFeatures[] = [];
  for (const f of readdirSync(join(data, split, 'labels')).sort()) {
    const a = (JSON.parse(readFileSync(join(data, split, 'labels', f), 'utf8')) as { attributes: SynthAttributes })
      .attributes;
    const v = await firstValueFrom(
      sampleVideo(join(data, split, 'videos', f.replace('.json', '.mp4')), {
        numFrames: 8,
        resize: { mode: 'exact', width: 32, height: 32 },
      }),
    );
    const e = encodeFrames(clip, proc, v.frames, { dropCls: true });
    out.push({ f: e.dataSync() as Float32Array, a });
    e.dispose();
  }
  return out;
}

/** Per attribute, validation accuracy of the nearest training-class mean (features centred by `center`, if given). */
export function nearestClassMeanAccuracy(
  tr: readonly VideoFeatures[],
  va: readonly VideoFeatures[],
  center?: Float32Array,
): Record<string, number> {
  const n = tr[0]!.f.length;
  const c0 = center ?? new Float32Array(n);
  const res: Record<string, number> = {};
  for (const key of ['color', 'shape', 'direction', 'background'] as const) {
    const cls = new Map<string, Float32Array>();
    const cnt = new Map<string, number>();
    for (const x of tr) {
      const c = cls.get(x.a[key]) ?? new Float32Array(n);
      x.f.forEach((v, i) => (c[i]! += v - c0[i]!));
      cls.set(x.a[key], c);
      cnt.set(x.a[key], (cnt.get(x.a[key]) ?? 0) + 1);
    }
    for (const [k, c] of cls) c.forEach((_, i) => (c[i]! /= cnt.get(k)!));
    let ok = 0;
    for (const x of va) {
      let best = '';
      let bd = Infinity;
      for (const [k, c] of cls) {
        const dd = x.f.reduce((s, v, i) => s + (v - c0[i]! - c[i]!) ** 2, 0);
        if (dd < bd) [bd, best] = [dd, k];
      }
      if (best === x.a[key]) ok++;
    }
    res[key] = ok / va.length;
  }
  return res;
}
