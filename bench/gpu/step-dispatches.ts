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
import { F16Matrix, initBackend, parseQwen3Config } from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import { ownDispatchCount } from '../../packages/models/src/gpu/webgpu-internals.js';
import { fuseEverything } from './bench-attention.js';
import { randomVlmStep } from './random-vlm-step.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const layers = Number(process.argv[3] ?? 2);

await initBackend(backend, { purpose: 'training' });
console.log(await fuseEverything());
// Qwen3's structure (GQA 2:1, q/k norms, tied head) at small widths: the dispatches per layer are the same.
const json = tinyQwen3ConfigJson({ num_hidden_layers: layers, hidden_size: 64, head_dim: 16 });
const config = parseQwen3Config(json, 'step-dispatches');
// f16 frozen weights, as the seed preset holds them.
const step = await randomVlmStep(config, { batch: 2, visionTokens: 32, textTokens: 16, visionHidden: 32 }, (t) => {
  const w = F16Matrix.fromTensor(t);
  t.dispose();
  return w;
});
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
