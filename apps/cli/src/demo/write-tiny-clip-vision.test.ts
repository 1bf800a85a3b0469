import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipVisionModel, encodeFrames, initBackend, loadImageProcessor, type RgbFrame } from '@kvc/models';
import { writeTinyClipVision } from './write-tiny-clip-vision.js';

/** A 32×32 frame: gray background, an 8×8 block of `rgb` at (x, y). */
function frame(rgb: readonly number[], x: number, y: number): RgbFrame {
  const data = new Uint8Array(32 * 32 * 3).fill(128);
  for (let r = y; r < y + 8; r++) for (let c = x; c < x + 8; c++) data.set(rgb, (r * 32 + c) * 3);
  return { width: 32, height: 32, data };
}

const dist = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length);

describe('writeTinyClipVision', () => {
  const root = mkdtempSync(join(tmpdir(), 'kvc-tiny-clip-'));
  beforeAll(async () => {
    await initBackend('cpu');
    await writeTinyClipVision(join(root, 'a'), { seed: 3 });
    await writeTinyClipVision(join(root, 'b'), { seed: 3 });
    await writeTinyClipVision(join(root, 'c'), { seed: 4 });
  });

  it('writes an HF clip_vision_model folder that ClipVisionModel and the CLIP processor read', async () => {
    const cfg = JSON.parse(readFileSync(join(root, 'a', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.model_type).toBe('clip_vision_model');
    const m = await ClipVisionModel.load(join(root, 'a'));
    const p = await loadImageProcessor(join(root, 'a'));
    const f = encodeFrames(m, p, [frame([220, 40, 40], 0, 0)], { dropCls: true });
    expect(f.shape).toEqual([1, (32 / 8) ** 2, 64]);
    f.dispose();
    m.dispose();
  });

  it('is deterministic per seed and differs across seeds', () => {
    const bytes = (d: string) => readFileSync(join(root, d, 'model.safetensors'));
    expect(bytes('a').equals(bytes('b'))).toBe(true);
    expect(bytes('a').equals(bytes('c'))).toBe(false);
  });

  it('features keep color and position: different frames are far apart, equal frames identical', async () => {
    const m = await ClipVisionModel.load(join(root, 'a'));
    const p = await loadImageProcessor(join(root, 'a'));
    const before = tf.memory().numTensors;
    const frames = [
      frame([220, 40, 40], 0, 0),
      frame([220, 40, 40], 0, 0),
      frame([40, 80, 230], 0, 0),
      frame([220, 40, 40], 24, 24),
    ];
    const f = encodeFrames(m, p, frames, { dropCls: true });
    const rows = [0, 1, 2, 3].map((i) => tf.tidy(() => tf.slice(f, [i, 0, 0], [1, -1, -1]).dataSync() as Float32Array));
    f.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    expect(dist(rows[0]!, rows[1]!)).toBe(0);
    // LayerNorm-scale features (~1 per element): a color or a move changes them clearly.
    expect(dist(rows[0]!, rows[2]!)).toBeGreaterThan(0.05);
    expect(dist(rows[0]!, rows[3]!)).toBeGreaterThan(0.05);
  });
});
