/**
 * Training through the fused attention kernels (webgpu; lavapipe in CI): each Qwen3 layer hands
 * them its padding bias with the causal flag (qwen3-decoder-layer.ts keyBias), and a
 * checkpointed layer must save that bias for its backward, where the caller's copy is gone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { setFusedAttentionDefault } from '../gpu/flash-attention.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import { Projector } from '../projector/projector.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { OTHER_CONFIGS, randomIds, randomQwen3 } from '../testing/random-qwen3.js';
import type { VlmBatch } from './vlm-batch.js';
import { vlmLossAndGrads } from './vlm-loss.js';

const gpu = await webgpuForTests();

describe.skipIf(!gpu)('VLM loss with attention on the fused kernels', () => {
  let model: Qwen3ForCausalLM;
  let projector: Projector;
  let adapter: LoraAdapter;
  let batch: VlmBatch;
  beforeAll(async () => {
    // 4:1 GQA with head_dim 16 (the kernels take multiples of 8).
    ({ model } = await randomQwen3({ ...Object.values(OTHER_CONFIGS)[0]!, head_dim: 16 }, 4));
    projector = Projector.create('mlp2x_gelu', 6, model.config.hiddenSize, 9);
    adapter = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 2, loraDropout: 0.25 }, 2);
    for (const [n, v] of adapter.variables()) if (n.includes('lora_B')) v.assign(tf.fill(v.shape, 0.05));
    const ids = randomIds(2, 6, model.config.vocabSize, 4);
    const rng = new SeededRandom(8);
    // Row 1 is left-padded: its first two queries see nothing (the kernels visit every key for them).
    batch = {
      visionFeatures: tf.tensor3d(rng.uniform(2 * 3 * 6, -1, 1), [2, 3, 6]),
      inputIds: tf.tensor2d(ids, undefined, 'int32'),
      attentionMask: tf.tensor2d([
        [1, 1, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 1],
      ]),
      labels: Int32Array.from([
        -100,
        -100,
        -100,
        ids[0]![3]!,
        ids[0]![4]!,
        ids[0]![5]!,
        -100,
        -100,
        -100,
        -100,
        ...ids[1]!.slice(4),
      ]),
    };
  });
  afterAll(async () => {
    setFusedAttentionDefault(false);
    tf.dispose([batch.visionFeatures, batch.inputIds, batch.attentionMask]);
    adapter.dispose();
    projector.dispose();
    model.dispose();
    await initBackend('cpu');
  });
  const trainable = () => new Map([...projector.variables('projector.'), ...adapter.variables()]);
  const run = async (fused: boolean, checkpointLayers: boolean) => {
    setFusedAttentionDefault(fused);
    try {
      const opts = { dropoutRng: new SeededRandom(1), checkpointLayers };
      // Awaited here: a checkpointed layer's recompute runs in the backward, under the same default.
      return await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), opts);
    } finally {
      setFusedAttentionDefault(false);
    }
  };
  const scalar = async (t: tf.Tensor) => (await t.data())[0]!;
  const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => scalar(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)))));

  it('checkpointed layers give the same loss and gradients as plain ones, and the fused kernels did run', async () => {
    const plain = await run(true, false);
    const ckpt = await run(true, true);
    // The recompute runs the same kernels on the same inputs: equal up to the tolerance the
    // cpu checkpointing test uses (vlm-loss.test.ts).
    expect(await maxAbsDiff(plain.loss, ckpt.loss)).toBeLessThan(1e-6);
    for (const [name, g] of plain.grads) {
      const norm = await scalar(tf.tidy(() => tf.norm(g)));
      expect(await maxAbsDiff(g, ckpt.grads.get(name)!), name).toBeLessThanOrEqual(1e-5 * Math.max(norm, 1e-3));
    }
    // The tfjs op rounds differently: bit-identical gradients would mean the kernels never ran.
    const tfjs = await run(false, true);
    let differs = 0;
    for (const [name, g] of ckpt.grads) differs = Math.max(differs, await maxAbsDiff(g, tfjs.grads.get(name)!));
    expect(differs).toBeGreaterThan(0);
    tf.dispose([
      plain.loss,
      ckpt.loss,
      tfjs.loss,
      ...plain.grads.values(),
      ...ckpt.grads.values(),
      ...tfjs.grads.values(),
    ]);
  });
});
