/**
 * The labelled frames the demo's tiny CLIP is pretrained on: a SEPARATE synthetic set (its own
 * seed, rendered in memory, never the demo's train or val videos), the frames the pipeline
 * would sample from each clip, processed by the tower's own image processor (64×64 → its
 * image size, as the pipeline's frames are). Labels come from the synth attributes and the
 * rendered pixels: the shape's class, color and background, its center (the mean of the pixels
 * in the shape's color, in [-1, 1]), and per patch the fraction of the patch the shape covers.
 */
import { ATTRIBUTE_VALUES, SHAPE_COLORS, planSynth, renderClip, uniformIndices, type RgbFrame } from '@kvc/video-io';
import type { ImageProcessor, PixelBatch } from '@kvc/models';
import type { VisionTarget } from './vision-target-heads.js';

export interface VisionPretrainFrames {
  readonly frames: PixelBatch;
  readonly targets: VisionTarget[];
}

export interface VisionPretrainFramesOptions {
  readonly clips: number;
  /** Frames sampled per clip (uniformly, as the pipeline does). */
  readonly framesPerClip: number;
  readonly seed: number;
  /** The tower's patch grid side (image size / patch size). */
  readonly grid: number;
  /** Rendered frame side and clip length (the demo dataset's). */
  readonly size?: number;
  readonly clipFrames?: number;
}

/** Shape center in [-1, 1] and per-cell coverage (grid × grid, raster order) of one frame. */
export function shapeGeometry(
  f: RgbFrame,
  rgb: readonly number[],
  grid: number,
): { center: [number, number]; coverage: number[] } {
  const cover = new Array<number>(grid * grid).fill(0);
  let [sx, sy, n] = [0, 0, 0];
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const o = (y * f.width + x) * 3;
      if (f.data[o] !== rgb[0] || f.data[o + 1] !== rgb[1] || f.data[o + 2] !== rgb[2]) continue;
      sx += x + 0.5;
      sy += y + 0.5;
      n++;
      cover[Math.floor((y * grid) / f.height) * grid + Math.floor((x * grid) / f.width)]! += 1;
    }
  }
  const cell = (f.width * f.height) / (grid * grid);
  const center: [number, number] = n ? [(2 * sx) / n / f.width - 1, (2 * sy) / n / f.height - 1] : [0, 0];
  return { center, coverage: cover.map((c) => c / cell) };
}

/** Renders, samples, processes and labels the pretraining frames. */
export function visionPretrainFrames(processor: ImageProcessor, o: VisionPretrainFramesOptions): VisionPretrainFrames {
  const size = o.size ?? 64;
  const clipFrames = o.clipFrames ?? 16;
  const plan = planSynth({ out: '/unused', train: o.clips, val: 0, seed: o.seed, size, frames: clipFrames });
  const frames: RgbFrame[] = [];
  const [shape, color, background, center, coverage]: [number[], number[], number[], number[], number[]] = [
    [],
    [],
    [],
    [],
    [],
  ];
  for (const s of plan) {
    const all = renderClip(s.attributes, { size, frames: clipFrames, crossOffset: s.crossOffset });
    for (const i of uniformIndices(clipFrames, o.framesPerClip)) {
      const f = all[i]!;
      const g = shapeGeometry(f, SHAPE_COLORS[s.attributes.color].rgb, o.grid);
      frames.push(f);
      shape.push(ATTRIBUTE_VALUES.shape.indexOf(s.attributes.shape));
      color.push(ATTRIBUTE_VALUES.color.indexOf(s.attributes.color));
      background.push(ATTRIBUTE_VALUES.background.indexOf(s.attributes.background));
      center.push(...g.center);
      coverage.push(...g.coverage);
    }
  }
  return {
    frames: processor.preprocess(frames),
    targets: [
      { name: 'shape', kind: 'class', classes: ATTRIBUTE_VALUES.shape.length, labels: shape },
      { name: 'color', kind: 'class', classes: ATTRIBUTE_VALUES.color.length, labels: color },
      { name: 'background', kind: 'class', classes: ATTRIBUTE_VALUES.background.length, labels: background },
      { name: 'center', kind: 'regression', dims: 2, values: center },
      { name: 'coverage', kind: 'regression', dims: 1, per: 'patch', values: coverage },
    ],
  };
}
