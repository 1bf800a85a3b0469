/**
 * How many kernels one training step dispatches with the fused elementwise kernels (RMSNorm,
 * SwiGLU, RoPE: gpu/*-wgsl.ts) switched off and on: a tiny random Qwen3 (tinyQwen3ConfigJson) with
 * LoRA r16 on all 7 modules and a linear projector, loss and backward as the trainer runs them
 * (per-layer checkpointing). tfjs kernels are tf.profile's `kernels`; ours are not tfjs kernels, so
 * they are counted apart (ownDispatchCount), and so are the "unnamed scope" entries tf.profile
 * adds around every custom-gradient op (no dispatch of their own). The counts do not depend on the
 * device. First, the kernels against the tfjs ops on this device at the model's widths
 * (fused-elementwise-check.ts: worst error / derived bound, ≤ 1 passes). `0.6b` takes Qwen3-0.6B's
 * widths and the seed's batch (4 × (4608 + 768) tokens) instead, and `steps` > 0 then times that
 * many steps each way without the profiler (the GPU machine).
 *
 *   bash bench/gpu/pack.sh bench/gpu/fused-elementwise-dispatches.ts
 *   node .gpu/app/fused-elementwise-dispatches.mjs webgpu [layers=2] [tiny|0.6b] [steps=0]   (lavapipe)
 *   bash bench/gpu/run-on-gpu.sh fused-elementwise-dispatches webgpu 2 0.6b 3                (the H100)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseQwen3Config, setFusedElementwiseDefault } from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import { ownDispatchCount } from '../../packages/models/src/gpu/webgpu-internals.js';
import { checkFusedElementwise } from './fused-elementwise-check.js';
import { QWEN3_0_6B } from './qwen3-real-configs.js';
import { randomVlmStep } from './random-vlm-step.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const layers = Number(process.argv[3] ?? 2);
const size = process.argv[4] ?? 'tiny';
const timedSteps = Number(process.argv[5] ?? 0);
await initBackend(backend, { purpose: 'training' });
const base = size === '0.6b' ? QWEN3_0_6B : {};
const json = tinyQwen3ConfigJson({ ...base, num_hidden_layers: layers });
const config = parseQwen3Config(json, 'fused-elementwise-dispatches');
const [B, NV, NT, VISION_HIDDEN] = size === '0.6b' ? [4, 4608, 768, 1024] : [2, 16, 12, 32];

const c = config;
// At most 1024 tokens: the widths are what matter, and the host draws and reads every value.
const checkT = Math.min(NV + NT, 1024);
const check = await checkFusedElementwise(B, checkT, c.hiddenSize, c.intermediateSize, c.numAttentionHeads, c.headDim);
check.forEach((l) => console.log(l));

const step = await randomVlmStep(config, { batch: B, visionTokens: NV, textTokens: NT, visionHidden: VISION_HIDDEN });

console.log(`backend ${tf.getBackend()}, Qwen3 ${size} ${layers} layers, batch ${B} × (${NV} + ${NT}), LoRA r16`);
const counts: Record<string, { tfjs: number; own: number; loss: number }> = {};
for (const on of [false, true]) {
  setFusedElementwiseDefault(on);
  await step(); // compile pipelines outside the count
  const own0 = ownDispatchCount();
  let loss = 0;
  const info = await tf.profile(async () => void (loss = await step()));
  const scopes = info.kernels.filter((k) => k.name === 'unnamed scope').length;
  const c = { tfjs: info.kernels.length - scopes, own: ownDispatchCount() - own0, loss };
  counts[on ? 'on' : 'off'] = c;
  console.log(
    `fused elementwise ${on ? 'on ' : 'off'}: tf.profile kernels ${info.kernels.length} (${scopes} custom-gradient ` +
      `scopes, ${c.tfjs} tfjs kernels) + ${c.own} own dispatches = ${c.tfjs + c.own}; loss ${loss}`,
  );
}
const [off, on] = [counts.off!, counts.on!];
const [before, saved] = [off.tfjs + off.own, off.tfjs + off.own - (on.tfjs + on.own)];
console.log(
  `saved ${saved} of ${before} dispatches per step (${((100 * saved) / before).toFixed(1)}%); ` +
    `|loss on − loss off| = ${Math.abs(on.loss - off.loss).toExponential(2)}`,
);
for (const on of timedSteps > 0 ? [false, true, false, true] : []) {
  setFusedElementwiseDefault(on);
  const ms: number[] = [];
  for (let i = 0; i < timedSteps; i++) {
    const t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
  }
  console.log(`fused elementwise ${on ? 'on ' : 'off'}: step ms ${ms.map((m) => m.toFixed(0)).join(', ')}`);
}
process.exit(0);
