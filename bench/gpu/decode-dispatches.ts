/**
 * What one decode step of greedy generation dispatches, kernel by kernel (kvc issue #14): on the
 * H200 a step of the 0.6B model costs 230–390 ms at batch 1 and 8 alike, which points at the host
 * (bench/results/2026-11-28-seed-e2e-h200.md). A random Qwen3 with the real model's structure
 * (GQA, q/k norms, tied head) at small widths, LoRA r16 on all 7 modules, f16 frozen weights,
 * the fused elementwise kernels and the fused attention (the best variant the device offers).
 * Each kernel is counted by name under tf.profile for a generation of 2 and of 2 + STEPS new
 * tokens; the difference over STEPS is one step. Our own kernels (GEMM, attention, packing,
 * fused elementwise, KV-cache writes) are not tfjs kernels and are counted apart.
 *
 *   bash bench/gpu/pack.sh bench/gpu/decode-dispatches.ts
 *   node .gpu/app/decode-dispatches.mjs webgpu [layers=2] [lora=unmerged|merged]
 *   (lavapipe: VK_DRIVER_FILES=…/lvp_icd.json)
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  F16Matrix,
  LoraAdapter,
  Qwen3ForCausalLM,
  SEED_LORA_CONFIG,
  generateGreedy,
  initBackend,
  parseQwen3Config,
  qwen3ExpectedShapes,
} from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import { ownDispatchCount } from '../../packages/models/src/gpu/webgpu-internals.js';
import { fuseEverything } from './bench-attention.js';
import { randomQwen3Layers } from './random-qwen3-layers.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const layers = Number(process.argv[3] ?? 2);
const merged = process.argv[4] === 'merged';
const STEPS = 4;

await initBackend(backend, { purpose: 'inference' });
console.log(await fuseEverything());
const json = tinyQwen3ConfigJson({
  num_hidden_layers: layers,
  hidden_size: 64,
  head_dim: 16,
  vocab_size: 1000,
  tie_word_embeddings: true,
});
const config = parseQwen3Config(json, 'decode-dispatches');
const shapes = qwen3ExpectedShapes(config);
let seed = 1;
const rand = (name: string): tf.Tensor2D =>
  tf.randomNormal(shapes.get(name)! as [number, number], 0, 0.02, 'float32', seed++);
const model = new Qwen3ForCausalLM(config, {
  embedTokens: rand('model.embed_tokens.weight'),
  layers: randomQwen3Layers(config, (name) => {
    const w = rand(`${name}.weight`);
    const m = F16Matrix.fromTensor(w);
    w.dispose();
    return { weight: m };
  }),
  norm: tf.ones([config.hiddenSize]) as tf.Tensor1D,
  lmHead: undefined, // tied, as Qwen3-0.6B
});
const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, loraDropout: 0 }, 1);
const generator = merged ? model.withMergedLora(lora) : model;
const prompts = [tf.randomNormal([40, config.hiddenSize], 0, 1, 'float32', 99) as tf.Tensor2D];
const opts = { repetitionPenalty: 1.2, eosTokenId: [] as number[], ...(merged ? {} : { lora }) };

const census = async (newTokens: number) => {
  const own0 = ownDispatchCount();
  const info = await tf.profile(
    async () => void (await generateGreedy(generator, prompts, { ...opts, maxNewTokens: newTokens })),
  );
  const byName = new Map<string, number>();
  for (const k of info.kernels) if (k.name !== 'unnamed scope') byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
  return { byName, own: ownDispatchCount() - own0 };
};
await census(2); // pipelines compile outside the count
const short = await census(2);
const long = await census(2 + STEPS);
const perStep = new Map<string, number>();
for (const [name, n] of long.byName) {
  const d = (n - (short.byName.get(name) ?? 0)) / STEPS;
  if (d) perStep.set(name, d);
}
const tfjs = [...perStep.values()].reduce((a, n) => a + n, 0);
const own = (long.own - short.own) / STEPS;
console.log(
  `Qwen3 ${layers} layers, LoRA r16 ×7 ${merged ? 'merged' : 'unmerged'}, f16 weights: one decode step = ` +
    `${tfjs} tfjs kernels + ${own} own = ${tfjs + own} (${((tfjs + own) / layers).toFixed(1)} a layer, head included)`,
);
for (const [name, n] of [...perStep].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${name}`);
process.exit(0);
