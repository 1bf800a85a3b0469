/**
 * What a training step dispatches, kernel by kernel: the trainer's step (loss and backward,
 * per-layer checkpointing) of a random Qwen3 with LoRA r16 on all 7 modules and a linear
 * projector, f16 frozen weights, the fused elementwise kernels and the fused attention (the
 * best variant the device offers), under tf.profile. tfjs kernels are counted by name; our own
 * kernels (GEMM, attention, packing, fused elementwise) are not tfjs kernels and are counted
 * apart (ownDispatchCount). The counts do not depend on the device, only on the layer count and
 * the model's code: at ~0.3 ms of host time per dispatch, they are what the step costs the host.
 *
 *   bash bench/gpu/pack.sh bench/gpu/step-dispatches.ts
 *   node .gpu/app/step-dispatches.mjs webgpu [layers=2] [timed=0]  (lavapipe: VK_DRIVER_FILES=…/lvp_icd.json)
 * `timed` > 0 then records that many steps without the profiler and prints the host time per step
 * and per dispatch (at these widths the GPU work is negligible); run it under `node --cpu-prof`
 * to see where the host's time goes.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  F16Matrix,
  LoraAdapter,
  Projector,
  Qwen3ForCausalLM,
  SEED_LORA_CONFIG,
  initBackend,
  parseQwen3Config,
  qwen3ExpectedShapes,
  setFusedAttentionDefault,
  setFusedElementwiseDefault,
  vlmLossAndGrads,
} from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import {
  selectFlashAttentionVariant,
  tensorCoreFlashCandidates,
} from '../../packages/models/src/gpu/flash-attention-select.js';
import { ownDispatchCount } from '../../packages/models/src/gpu/webgpu-internals.js';
import { randomQwen3Layers } from './random-qwen3-layers.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const layers = Number(process.argv[3] ?? 2);

await initBackend(backend, { purpose: 'training' });
setFusedElementwiseDefault(true);
setFusedAttentionDefault(true);
const sel = await selectFlashAttentionVariant(tensorCoreFlashCandidates());
console.log(`fused attention ${sel.variant ?? 'none (tfjs op)'}`);
// Qwen3's structure (GQA 2:1, q/k norms, tied head) at small widths: the dispatches per layer are the same.
const json = tinyQwen3ConfigJson({ num_hidden_layers: layers, hidden_size: 64, head_dim: 16 });
const config = parseQwen3Config(json, 'step-dispatches');
const shapes = qwen3ExpectedShapes(config);
const [B, NV, NT, VISION_HIDDEN] = [2, 32, 16, 32];
let seed = 1;
const rand = (shape: readonly number[], std = 0.02) => tf.randomNormal([...shape], 0, std, 'float32', seed++);
const lin = (name: string) => {
  const t = rand(shapes.get(`${name}.weight`)!) as tf.Tensor2D;
  const w = F16Matrix.fromTensor(t);
  t.dispose();
  return { weight: w };
};
const model = new Qwen3ForCausalLM(config, {
  embedTokens: rand(shapes.get('model.embed_tokens.weight')!) as tf.Tensor2D,
  layers: randomQwen3Layers(config, lin),
  norm: tf.ones([config.hiddenSize]) as tf.Tensor1D,
  lmHead: config.tieWordEmbeddings ? undefined : (rand(shapes.get('lm_head.weight')!) as tf.Tensor2D),
});
const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, loraDropout: 0 }, 1);
for (const [n, v] of lora.variables()) if (n.includes('lora_B')) v.assign(rand(v.shape, 0.01));
const projector = Projector.create('linear', VISION_HIDDEN, config.hiddenSize, 1);
const trainable = new Map([...projector.variables('projector.'), ...lora.variables()]);
const feats = rand([B, NV, VISION_HIDDEN], 1) as tf.Tensor3D;
const ids = tf.randomUniform([B, NT], 0, config.vocabSize - 2, 'int32', 7) as tf.Tensor2D;
const mask = tf.ones([B, NT], 'int32') as tf.Tensor2D;
const labels = (await ids.data()) as Int32Array;

async function step(): Promise<number> {
  const batch = { visionFeatures: feats, inputIds: ids, attentionMask: mask, labels };
  const { loss, grads } = vlmLossAndGrads({ model, projector, lora }, batch, trainable, { checkpointLayers: true });
  const l = (await loss.data())[0]!;
  for (const g of grads.values()) await g.data();
  tf.dispose([loss, ...grads.values()]);
  return l;
}
await step(); // pipelines compile outside the count
const own0 = ownDispatchCount();
const info = await tf.profile(async () => void (await step()));
const own = ownDispatchCount() - own0;
const byName = new Map<string, number>();
for (const k of info.kernels) if (k.name !== 'unnamed scope') byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
const tfjs = [...byName.values()].reduce((a, n) => a + n, 0);
console.log(
  `Qwen3 ${layers} layers, LoRA r16 ×7, f16 weights: ${tfjs} tfjs kernels + ${own} own = ${tfjs + own} dispatches a step`,
);
for (const [name, n] of [...byName].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${name}`);
const timed = Number(process.argv[4] ?? 0);
for (let i = 0; i < timed; i++) {
  const t0 = performance.now();
  await step();
  const ms = performance.now() - t0;
  console.log(`step: ${ms.toFixed(0)} ms, ${((1000 * ms) / (tfjs + own)).toFixed(0)} µs per dispatch`);
}
process.exit(0);
