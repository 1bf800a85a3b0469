import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { OTHER_CONFIGS, randomIds, randomQwen3 } from '../testing/random-qwen3.js';
import type { Qwen3ForCausalLM } from './qwen3-for-causal-lm.js';

const gpu = await webgpuForTests();
const CONFIG = OTHER_CONFIGS['tied, head_dim 16, no GQA, 3 layers, theta 1e6 (transformers 5 rope_parameters)']!;

/**
 * Without a layer hook, the forward leaves each layer's last residual add to the next RMSNorm
 * (qwen3DecoderLayerDeferred, nn/rms-norm.ts's addRmsNorm): at inference on webgpu the add and the norm are one
 * dispatch. A hook that returns what it is given takes the layer-by-layer path (each layer's output whole), so
 * the two forwards must agree bit for bit, and the deferred one must run one tfjs Add fewer per layer.
 */
describe.skipIf(!gpu)('Qwen3 forward: residual adds deferred into the next norm (webgpu)', () => {
  let model: Qwen3ForCausalLM, ids: tf.Tensor2D;
  beforeAll(async () => {
    ({ model } = await randomQwen3(CONFIG, 31));
    ids = tf.tensor2d(randomIds(2, 7, model.config.vocabSize, 5), undefined, 'int32');
  });
  afterAll(async () => {
    tf.dispose(ids);
    model.dispose();
    if (gpu) await initBackend('cpu');
  });

  it('equals the layer-by-layer forward bit for bit, with one tfjs Add fewer per layer', async () => {
    const deferred = () => model.forward({ inputIds: ids });
    const whole = () => model.forward({ inputIds: ids, layerHook: (_i, x) => x });
    const [a, b] = [deferred(), whole()];
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    const adds = async (f: () => tf.Tensor) =>
      (await tf.profile(() => f())).kernels.filter((k) => k.name === 'Add').length;
    const layers = model.config.numHiddenLayers;
    // The layer-by-layer path fuses each layer's first add (qwen3DecoderLayer); the deferred one its last too.
    expect((await adds(whole)) - (await adds(deferred))).toBe(layers);
    tf.dispose([a, b]);
  });

  it('gives the same gradients where they are recorded (the add and the norm apart)', async () => {
    const x = tf.randomUniform([2, 7, model.config.hiddenSize], -1, 1, 'float32', 9);
    const loss = (hook: boolean) => (e: tf.Tensor) =>
      tf.sum(model.forward({ inputsEmbeds: e as tf.Tensor3D, ...(hook ? { layerHook: (_i, h) => h } : {}) }));
    const [g1, g2] = [tf.grad(loss(false))(x), tf.grad(loss(true))(x)];
    expect(Array.from(await g1.data())).toEqual(Array.from(await g2.data()));
    tf.dispose([x, g1, g2]);
  });
});
