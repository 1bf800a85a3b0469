import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipVisionModel, SeededRandom, initBackend, type PixelBatch } from '@kvc/models';
import { pretrainTinyClipVision, type VisionTarget } from './pretrain-tiny-clip-vision.js';
import { TrainableClipVision } from './trainable-clip-vision.js';
import { writeTinyClipVision } from './write-tiny-clip-vision.js';

const S = 16;
const tower = { imageSize: S, patchSize: 8, hiddenSize: 16, numLayers: 1, numHeads: 2, seed: 3 };

/**
 * N normalized 16×16 frames, each a 4×4 block of one of two colors (0: reddish, 1: bluish) at a
 * random place on gray; labels: the color, and the block's center in [-1, 1].
 */
function task(n: number, seed: number): { frames: PixelBatch; targets: VisionTarget[] } {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(n * 3 * S * S);
  const labels: number[] = [];
  const xy: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng.next() * 2);
    const [x0, y0] = [Math.floor(rng.next() * (S - 4)), Math.floor(rng.next() * (S - 4))];
    const rgb = c === 0 ? [1.5, -1, -1] : [-1, -0.5, 1.5];
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          const on = x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4;
          data[((i * 3 + ch) * S + y) * S + x] = on ? rgb[ch]! : 0;
        }
    }
    labels.push(c);
    xy.push(((x0 + 2) / S) * 2 - 1, ((y0 + 2) / S) * 2 - 1);
  }
  return {
    frames: { data, shape: [n, 3, S, S] },
    targets: [
      { name: 'color', kind: 'class', classes: 2, labels },
      { name: 'center', kind: 'regression', dims: 2, values: xy },
    ],
  };
}

describe('pretrainTinyClipVision', () => {
  const root = mkdtempSync(join(tmpdir(), 'kvc-vpre-'));
  const { frames, targets } = task(160, 1);
  beforeAll(async () => {
    await initBackend('wasm');
    await writeTinyClipVision(join(root, 'base'), tower);
  });

  it('its differentiable forward equals ClipVisionModel (CLS dropped), and save writes the same bytes back', async () => {
    const t = await TrainableClipVision.load(join(root, 'base'));
    const m = await ClipVisionModel.load(join(root, 'base'));
    const px = tf.tensor4d(frames.data.subarray(0, 4 * 3 * S * S), [4, 3, S, S]);
    const a = t.patchTokens(px);
    const out = m.forward(px);
    const b = tf.slice(out.lastHiddenState, [0, 1, 0], [-1, -1, -1]);
    expect(a.shape).toEqual([4, 4, 16]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    const copy = join(root, 'copy');
    cpSync(join(root, 'base'), copy, { recursive: true });
    await t.save(copy);
    expect(
      readFileSync(join(copy, 'model.safetensors')).equals(readFileSync(join(root, 'base', 'model.safetensors'))),
    ).toBe(true);
    tf.dispose([px, a, b, out.lastHiddenState, out.poolerOutput]);
    t.dispose();
    m.dispose();
  });

  it('a few steps make a separable task readable from the patch tokens; the folder then gives other features; memory stays flat', async () => {
    const dir = join(root, 'trained');
    cpSync(join(root, 'base'), dir, { recursive: true });
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const r = await pretrainTinyClipVision(dir, frames, targets, {
      steps: 40,
      batchSize: 16,
      lr: 1e-2,
      seed: 5,
      holdOut: 32,
      onStep: (s) => losses.push(s.loss),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.steps).toBe(40);
    expect(losses).toHaveLength(40);
    expect(r.after.loss).toBeLessThan(r.before.loss! * 0.5);
    expect(r.after.color).toBeGreaterThan(0.9);
    expect(r.after.center).toBeLessThan(r.before.center!);
    const px = tf.tensor4d(frames.data.subarray(0, 3 * S * S), [1, 3, S, S]);
    const feat = async (d: string) => {
      const m = await ClipVisionModel.load(join(root, d));
      const o = m.forward(px);
      const x = o.lastHiddenState.dataSync().slice();
      tf.dispose([o.lastHiddenState, o.poolerOutput]);
      m.dispose();
      return x;
    };
    const [x0, x1] = [await feat('base'), await feat('trained')];
    expect(x0.some((v, i) => Math.abs(v - x1[i]!) > 1e-3)).toBe(true);
    px.dispose();
  });

  it('is deterministic for a seed, honours per-patch targets, and validates its inputs', async () => {
    const run = async (name: string, seed: number) => {
      const dir = join(root, name);
      cpSync(join(root, 'base'), dir, { recursive: true });
      // Per-patch: which of the 4 patches holds the block's center.
      const patchOf = Array.from({ length: 160 }, (_, i) => {
        const [x, y] = [
          targets[1]!.kind === 'regression' ? Number(targets[1]!.values[2 * i]) : 0,
          targets[1]!.kind === 'regression' ? Number(targets[1]!.values[2 * i + 1]) : 0,
        ];
        return [0, 1, 2, 3].map((p) => (p === (y > 0 ? 2 : 0) + (x > 0 ? 1 : 0) ? 1 : 0));
      }).flat();
      const r = await pretrainTinyClipVision(
        dir,
        frames,
        [...targets, { name: 'holds', kind: 'class', per: 'patch', classes: 2, labels: patchOf }],
        { steps: 6, batchSize: 8, seed, holdOut: 32 },
      );
      expect(r.after.holds).toBeGreaterThan(0);
      return readFileSync(join(dir, 'model.safetensors'));
    };
    const [a, b, c] = [await run('s1', 9), await run('s1b', 9), await run('s2', 10)];
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    await expect(
      pretrainTinyClipVision(join(root, 'base'), frames, [{ name: 'x', kind: 'class', classes: 2, labels: [0, 1] }], {
        steps: 1,
        batchSize: 4,
      }),
    ).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' });
    await expect(
      pretrainTinyClipVision(join(root, 'base'), frames, [], { steps: 1, batchSize: 4 }),
    ).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' });
  });
});
