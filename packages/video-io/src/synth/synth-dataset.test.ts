import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { firstValueFrom, lastValueFrom, tap, toArray } from 'rxjs';
import { planSynth, synthDataset } from './synth-dataset.js';
import { ATTRIBUTE_VALUES, DIRECTIONS, SHAPE_COLORS, extractAttributes } from './vocabulary.js';
import { CAPTION_TEMPLATE_COUNT, synthCaption } from './caption.js';
import { aihubSource } from '../aihub-source.js';
import { sampleVideo } from '../sample-video.js';
import type { RgbFrame } from '../rgb-frame.js';
import { tempDir } from '../__tests__/helpers.js';

/** Centroid of the pixels close to `rgb`. */
function centroid(f: RgbFrame, rgb: readonly number[]): [number, number, number] {
  let sx = 0,
    sy = 0,
    n = 0;
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const o = (y * f.width + x) * 3;
      const d =
        Math.abs(f.data[o]! - rgb[0]!) + Math.abs(f.data[o + 1]! - rgb[1]!) + Math.abs(f.data[o + 2]! - rgb[2]!);
      if (d < 60) [sx, sy, n] = [sx + x, sy + y, n + 1];
    }
  }
  return [sx / n, sy / n, n];
}

describe('synthetic captions', () => {
  it('every phrasing of every attribute combination names exactly its attributes', () => {
    const seen = new Set<string>();
    for (const color of ATTRIBUTE_VALUES.color)
      for (const shape of ATTRIBUTE_VALUES.shape)
        for (const direction of ATTRIBUTE_VALUES.direction)
          for (const background of ATTRIBUTE_VALUES.background)
            for (let t = 0; t < CAPTION_TEMPLATE_COUNT; t++)
              for (const noun of [0, 1]) {
                const attrs = { color, shape, direction, background };
                const caption = synthCaption(attrs, t, noun);
                expect(extractAttributes(caption), caption).toEqual(attrs);
                seen.add(caption);
              }
    expect(seen.size).toBe(5 * 3 * 4 * 5 * CAPTION_TEMPLATE_COUNT * 2);
  });

  it('chooses the subject particle by the final consonant', () => {
    const attrs = { color: 'red', shape: 'circle', direction: 'right', background: 'black' } as const;
    expect(synthCaption(attrs, 0, 0)).toContain('원이 ');
    expect(synthCaption(attrs, 0, 1)).toContain('동그라미가 ');
  });

  it('plans the same samples for the same seed, others for another seed', () => {
    expect(planSynth({ out: 'x', train: 20, val: 5, seed: 7 })).toEqual(
      planSynth({ out: 'y', train: 20, val: 5, seed: 7 }),
    );
    expect(planSynth({ out: 'x', train: 20, val: 5, seed: 7 })).not.toEqual(
      planSynth({ out: 'x', train: 20, val: 5, seed: 8 }),
    );
    // sample i does not depend on how many are made
    expect(planSynth({ out: 'x', train: 3, val: 0, seed: 7 })).toEqual(
      planSynth({ out: 'x', train: 20, val: 5, seed: 7 }).slice(0, 3),
    );
  });
});

describe('synthDataset', () => {
  let a = '';
  let b = '';
  const cleanups: (() => Promise<void>)[] = [];
  const opts = { train: 4, val: 2, seed: 3, size: 48, frames: 12, fps: 4 };
  beforeAll(async () => {
    const ta = await tempDir('kvc-synth-a-');
    const tb = await tempDir('kvc-synth-b-');
    [a, b] = [ta.dir, tb.dir];
    cleanups.push(ta.cleanup, tb.cleanup);
    // The marker (what `kvc demo` reuses a dataset by) appears only once every sample is written.
    const markerSeen: boolean[] = [];
    const progress = await lastValueFrom(
      synthDataset({ out: a, ...opts }).pipe(
        tap(() => markerSeen.push(existsSync(join(a, 'synth.json')))),
        toArray(),
      ),
    );
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(markerSeen).toEqual([false, false, false, false, false, false]);
    expect(existsSync(join(a, 'synth.json'))).toBe(true);
    await lastValueFrom(synthDataset({ out: b, ...opts }).pipe(toArray()));
  });
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('same seed → byte-identical labels and videos', async () => {
    for (const split of ['train', 'val']) {
      for (const kind of ['labels', 'videos']) {
        const names = (await readdir(join(a, split, kind))).sort();
        expect(names).toEqual((await readdir(join(b, split, kind))).sort());
        expect(names).toHaveLength(split === 'train' ? 4 : 2);
        for (const n of names)
          expect(
            Buffer.compare(await readFile(join(a, split, kind, n)), await readFile(join(b, split, kind, n))),
            n,
          ).toBe(0);
      }
    }
  });

  it('labels are AIHub-shaped, captions match the stored attributes, and the video shows them', async () => {
    const events = await lastValueFrom(aihubSource({ root: a, split: 'train', probe: true }).pipe(toArray()));
    expect(events.every((e) => e.type === 'sample')).toBe(true);
    for (const e of events) {
      if (e.type !== 'sample') continue;
      const attrs = e.record!.attributes as { color: keyof typeof SHAPE_COLORS; direction: keyof typeof DIRECTIONS };
      expect(extractAttributes(e.caption)).toEqual(attrs);
      expect(e.probe).toMatchObject({ frameCount: opts.frames, width: opts.size, height: opts.size });
      // the shape's color is there, and it moves the way the caption says
      const v = await firstValueFrom(sampleVideo(e.video, { probe: e.probe!, numFrames: 2 }));
      const [x0, y0, n0] = centroid(v.frames[0]!, SHAPE_COLORS[attrs.color].rgb);
      const [x1, y1, n1] = centroid(v.frames[1]!, SHAPE_COLORS[attrs.color].rgb);
      expect(n0).toBeGreaterThan(20);
      expect(n1).toBeGreaterThan(20);
      const { dx, dy } = DIRECTIONS[attrs.direction];
      expect(Math.sign(Math.round(x1 - x0)) + 0, e.id).toBe(dx);
      expect(Math.sign(Math.round(y1 - y0)) + 0, e.id).toBe(dy);
    }
  });
});
