import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeightMismatchError } from '../errors.js';
import { writeRandomModel, seededUniform } from '../testing/write-random-model.js';
import { parseClipVisionConfig } from './clip-vision-config.js';
import { ClipVisionModel, clipVisionShapes } from './clip-vision-model.js';

// A config unlike the fixture's: 3 heads of 8, 3 layers, 28-pixel images of 7-pixel patches.
const RAW = {
  model_type: 'clip_vision_model',
  hidden_size: 24,
  intermediate_size: 40,
  num_attention_heads: 3,
  num_hidden_layers: 3,
  image_size: 28,
  patch_size: 7,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
};
const CFG = parseClipVisionConfig(RAW);
let root: string;
let model: ClipVisionModel;

function pixels(n: number, seed: number): tf.Tensor4D {
  const r = seededUniform(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * 3 * 28 * 28 }, () => r() * 4 - 2),
    [n, 3, 28, 28],
  );
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'kvc-clip-'));
  await writeRandomModel(join(root, 'vision'), RAW, clipVisionShapes(CFG), 7);
  model = await ClipVisionModel.load(join(root, 'vision'));
});

afterAll(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('ClipVisionModel on a random config', () => {
  it('gives the shapes of the config (1 + 16 tokens of 24)', () => {
    const px = pixels(2, 1);
    const out = model.forward(px, { hiddenStates: [0, -2] });
    expect(out.lastHiddenState.shape).toEqual([2, 17, 24]);
    expect(out.poolerOutput.shape).toEqual([2, 24]);
    expect(out.hiddenStates.map((t) => t.shape)).toEqual([
      [2, 17, 24],
      [2, 17, 24],
    ]);
    tf.dispose([px, out.lastHiddenState, out.poolerOutput, ...out.hiddenStates]);
  });

  it('encodes frames one by one exactly as in a batch', async () => {
    const px = pixels(3, 2);
    const batch = model.forward(px);
    for (let i = 0; i < 3; i++) {
      const one = tf.slice(px, [i, 0, 0, 0], [1, -1, -1, -1]);
      const single = model.forward(one);
      const row = tf.slice(batch.lastHiddenState, [i, 0, 0], [1, -1, -1]);
      expect(await maxDiff(single.lastHiddenState, row)).toBeLessThan(1e-5);
      tf.dispose([one, row, single.lastHiddenState, single.poolerOutput]);
    }
    tf.dispose([px, batch.lastHiddenState, batch.poolerOutput]);
  });

  it('hiddenState(k) runs only the layers it needs and equals forward hidden_states[k]', async () => {
    const px = pixels(2, 3);
    const out = model.forward(px, { hiddenStates: [-2] });
    const pen = model.hiddenState(px, -2);
    const last = model.hiddenState(px, 3);
    expect(await maxDiff(pen, out.hiddenStates[0]!)).toBe(0);
    expect(await maxDiff(last, out.lastHiddenState)).toBe(0);
    expect(await maxDiff(pen, out.lastHiddenState)).toBeGreaterThan(1e-3);
    expect(() => model.hiddenState(px, 4)).toThrow(/does not exist/);
    expect(() => model.hiddenState(px, -5)).toThrow(/does not exist/);
    tf.dispose([px, pen, last, out.lastHiddenState, out.poolerOutput, ...out.hiddenStates]);
  });

  it('rejects pixels of the wrong size', () => {
    const px = tf.zeros([1, 3, 21, 21]) as tf.Tensor4D;
    expect(() => model.forward(px)).toThrow(/do not match/);
    px.dispose();
  });

  it('keeps tf memory flat over repeated batches, and dispose() frees the weights', async () => {
    const px = pixels(2, 4);
    const run = () => {
      const o = model.forward(px, { hiddenStates: [-2] });
      tf.dispose([o.lastHiddenState, o.poolerOutput, ...o.hiddenStates]);
      model.hiddenState(px, -2).dispose();
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    px.dispose();
    const n0 = tf.memory().numTensors;
    const m = await ClipVisionModel.load(join(root, 'vision'));
    expect(tf.memory().numTensors).toBeGreaterThan(n0);
    m.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });
});

describe('loading', () => {
  it('reads the vision tower of a full `clip` checkpoint (vision_model. prefix, text weights ignored)', async () => {
    const full = { model_type: 'clip', vision_config: RAW, text_config: { hidden_size: 8 } };
    const shapes = new Map([
      ...clipVisionShapes(CFG, 'vision_model.'),
      ['text_model.embeddings.token_embedding.weight', [10, 8]],
      ['logit_scale', []],
      ['visual_projection.weight', [4, 24]],
    ] as [string, number[]][]);
    await writeRandomModel(join(root, 'full'), full, shapes, 7);
    const m = await ClipVisionModel.load(join(root, 'full'));
    const px = pixels(1, 5);
    const a = m.forward(px);
    const b = model.forward(px);
    // Same seed, vision tensors first in the same order → the same vision weights as the
    // vision-only folder, so the outputs must be identical.
    expect(a.lastHiddenState.shape).toEqual([1, 17, 24]);
    expect(await maxDiff(a.lastHiddenState, b.lastHiddenState)).toBe(0);
    expect(await maxDiff(a.poolerOutput, b.poolerOutput)).toBe(0);
    tf.dispose([px, a.lastHiddenState, a.poolerOutput, b.lastHiddenState, b.poolerOutput]);
    m.dispose();
  });

  it('names every missing and mis-shaped tensor in one WeightMismatchError', async () => {
    const shapes = clipVisionShapes(CFG);
    shapes.delete('encoder.layers.1.mlp.fc1.bias');
    shapes.set('pre_layrnorm.weight', [23]);
    await writeRandomModel(join(root, 'broken'), RAW, shapes, 1);
    const err = await ClipVisionModel.load(join(root, 'broken')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightMismatchError);
    const w = err as WeightMismatchError;
    expect(w.missing).toEqual(['encoder.layers.1.mlp.fc1.bias']);
    expect(w.misshaped.map((m) => m.name)).toEqual(['pre_layrnorm.weight']);
  });
});
