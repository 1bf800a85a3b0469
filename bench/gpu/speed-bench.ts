/**
 * Speed of the TypeScript models on the GPU machine (webgpu through Dawn), in the real shapes
 * with random weights (speed does not depend on the values): CLIP ViT-L/14-336 over 8 frames
 * (one video) and 64 frames, and one Qwen3-0.6B LoRA training step (projector + LoRA
 * gradients, gradient checkpointing) at batch 1 × (4608 vision + 768 text) tokens.
 * The PyTorch baseline runs in the same session (speed-baseline.py). Usage: see README.md.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ClipVisionModel,
  LoraAdapter,
  Projector,
  SEED_LORA_CONFIG,
  initBackend,
  flashAttentionVariant,
  fusedAttentionDefault,
  selectFlashAttentionVariant,
  setFusedAttentionDefault,
  tensorCoreFlashCandidates,
  throwIfDeviceError,
  loadQwen3,
  vlmLossAndGrads,
} from '@kvc/models';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import { QWEN3_0_6B } from './qwen3-real-configs.js';
import { writeTinyClipVision } from '../../apps/cli/src/demo/write-tiny-clip-vision.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const only = process.argv[3] ?? 'all';
const choice = await initBackend(backend, { purpose: 'training' });
// KVC_BENCH_PRECISION=f16: CLIP's frozen weights in f16 (f16 products, f32 accumulation);
// KVC_BENCH_FUSED=tensor-cores: attention on the tensor-core fused kernels (the seed preset's).
const precision = (process.env.KVC_BENCH_PRECISION ?? 'f32') as 'f32' | 'f16';
if (process.env.KVC_BENCH_FUSED === 'tensor-cores') {
  (await selectFlashAttentionVariant(tensorCoreFlashCandidates())).warnings.forEach((w) => console.warn(w));
  setFusedAttentionDefault(flashAttentionVariant() === 'subgroup-matrix');
}
console.log(
  `backend ${choice.backend}, precision ${precision}, fused attention ${fusedAttentionDefault() ? flashAttentionVariant() : 'off'}`,
);
const dir = await mkdtemp(join(tmpdir(), 'kvc-speed-'));

async function time(label: string, reps: number, fn: () => Promise<void>, perUnit = 1, unit = ''): Promise<void> {
  await fn(); // warm-up (shader compilation)
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  const ms = (performance.now() - t0) / reps;
  console.log(`${label}: ${ms.toFixed(1)} ms${perUnit !== 1 ? ` (${(ms / perUnit).toFixed(1)} ms/${unit})` : ''}`);
}

if (only === 'all' || only === 'clip') {
  await writeTinyClipVision(join(dir, 'clip'), {
    imageSize: 336,
    patchSize: 14,
    hiddenSize: 1024,
    numLayers: 24,
    numHeads: 16,
    intermediateSize: 4096,
  });
  const clip = await ClipVisionModel.load(join(dir, 'clip'), { precision });
  for (const frames of [8, 64]) {
    const px = tf.randomNormal([frames, 3, 336, 336]) as tf.Tensor4D;
    await time(
      `CLIP-L/14-336 ${precision} ${frames} frames`,
      frames === 8 ? 10 : 3,
      async () => {
        const h = clip.hiddenState(px, -1);
        await h.data();
        h.dispose();
      },
      frames / 8,
      'video',
    );
    px.dispose();
  }
  clip.dispose();
  console.log(`numTensors after CLIP ${tf.memory().numTensors}`);
}

if (only === 'all' || only.startsWith('qwen')) {
  await writeRandomQwen3(join(dir, 'qwen'), tinyQwen3ConfigJson(QWEN3_0_6B), { seed: 1, scale: 0.02 });
  const model = await loadQwen3(join(dir, 'qwen'));
  const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, loraDropout: 0 }, 1);
  const projector = Projector.create('linear', 1024, 1024, 1);
  const trainable = new Map([...projector.variables('projector.'), ...lora.variables()]);
  const shapes: (readonly [number, number, number])[] = only === 'qwen-b4' ? [[4, 4608, 768]] : [[1, 4608, 768]];
  for (const [bsz, nv, nt] of shapes) {
    const feats = tf.randomNormal([bsz, nv, 1024]) as tf.Tensor3D;
    const ids = tf.randomUniform([bsz, nt], 0, 151000, 'int32') as tf.Tensor2D;
    const mask = tf.ones([bsz, nt], 'int32') as tf.Tensor2D;
    const labels = (await ids.data()) as Int32Array;
    await time(
      `Qwen3-0.6B LoRA r16 train step f32, batch ${bsz} × (${nv}+${nt}) tokens, checkpointing, attention in query chunks`,
      2,
      async () => {
        const { loss, grads } = await vlmLossAndGrads(
          { model, projector, lora },
          { visionFeatures: feats, inputIds: ids, attentionMask: mask, labels },
          trainable,
          { checkpointLayers: true },
        );
        await loss.data();
        throwIfDeviceError('the train step');
        loss.dispose();
        for (const g of grads.values()) g.dispose();
      },
    );
    tf.dispose([feats, ids, mask]);
  }
  model.dispose();
  lora.dispose();
  projector.dispose();
}
process.exit(0);
