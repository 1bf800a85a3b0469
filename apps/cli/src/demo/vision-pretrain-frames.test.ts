import { ImageProcessor, parseImageProcessorConfig } from '@kvc/models';
import { ATTRIBUTE_VALUES, planSynth } from '@kvc/video-io';
import { describe, expect, it } from 'vitest';
import { shapeGeometry, visionPretrainFrames } from './vision-pretrain-frames.js';
import { tinyClipPreprocessorJson } from './write-tiny-clip-vision.js';

/** A w×h frame of gray with the pixels listed as [x, y] in `rgb`. */
function frame(w: number, h: number, pixels: readonly (readonly [number, number])[], rgb: readonly number[]) {
  const data = new Uint8Array(w * h * 3).fill(128);
  for (const [x, y] of pixels) data.set(rgb, (y * w + x) * 3);
  return { width: w, height: h, data };
}

describe('shapeGeometry', () => {
  const red = [220, 40, 40];
  it.each([
    // pixels, center, coverage of the 2×2 grid (each cell 2×2 = 4 pixels)
    [[[0, 0]], [-0.75, -0.75], [0.25, 0, 0, 0]],
    [
      [
        [3, 3],
        [2, 3],
      ],
      [0.5, 0.75],
      [0, 0, 0, 0.5],
    ],
    [
      [
        [0, 0],
        [3, 3],
      ],
      [0, 0],
      [0.25, 0, 0, 0.25],
    ],
    [[], [0, 0], [0, 0, 0, 0]],
  ] as const)('%j → center %j, coverage %j', (pixels, center, coverage) => {
    const g = shapeGeometry(frame(4, 4, pixels, red), red, 2);
    expect(g.center).toEqual(center);
    expect(g.coverage).toEqual(coverage);
  });
});

describe('visionPretrainFrames', () => {
  const processor = new ImageProcessor(parseImageProcessorConfig(tinyClipPreprocessorJson(32)));
  const set = visionPretrainFrames(processor, { clips: 6, framesPerClip: 4, seed: 1234, grid: 2 });

  it('gives processed frames at the tower size and a label per frame (per patch for coverage)', () => {
    expect(set.frames.shape).toEqual([24, 3, 32, 32]);
    const byName = Object.fromEntries(set.targets.map((t) => [t.name, t]));
    expect(Object.keys(byName)).toEqual(['shape', 'color', 'background', 'center', 'coverage']);
    const plan = planSynth({ out: '/unused', train: 6, val: 0, seed: 1234 });
    const shape = byName.shape!;
    if (shape.kind !== 'class') throw new Error('shape is a class target');
    // Four frames per clip, labelled with the clip's own attributes.
    expect(Array.from(shape.labels)).toEqual(
      plan.flatMap((s) => Array(4).fill(ATTRIBUTE_VALUES.shape.indexOf(s.attributes.shape))),
    );
    const center = byName.center!;
    const coverage = byName.coverage!;
    if (center.kind !== 'regression' || coverage.kind !== 'regression') throw new Error('regression targets');
    expect(center.values).toHaveLength(48);
    expect(coverage.values).toHaveLength(96);
    expect(Array.from(center.values).every((v) => v > -1 && v < 1)).toBe(true);
    // The shape is in the frame: its coverage over the 4 patches sums to its area (> 0).
    for (let f = 0; f < 24; f++)
      expect(
        Array.from(coverage.values)
          .slice(f * 4, f * 4 + 4)
          .reduce((a, b) => a + b, 0),
      ).toBeGreaterThan(0.05);
  });

  it('moves the shape across the frames of a clip: the center changes between the first and last frame', () => {
    const c = set.targets.find((t) => t.name === 'center')!;
    if (c.kind !== 'regression') throw new Error('center is a regression target');
    for (let clip = 0; clip < 6; clip++) {
      const first = [c.values[clip * 8]!, c.values[clip * 8 + 1]!];
      const last = [c.values[clip * 8 + 6]!, c.values[clip * 8 + 7]!];
      expect(Math.hypot(first[0]! - last[0]!, first[1]! - last[1]!)).toBeGreaterThan(0.5);
    }
  });
});
