/**
 * Which pipelines a generation call compiles that an earlier call of another prompt length did not (kvc issue
 * #14): an evaluation generates batch after batch of prompts of their own lengths, and every pipeline compiled
 * anew costs time (on the H200 ~1 s for a tensor-core attention kernel). Runs generation three times on webgpu
 * with the fused attention: prompt length P, then P again, then P + 1 (and maxNew fixed), and prints the
 * pipelines each call added (ours by WGSL, tfjs's by shader key).
 * Usage: VK_DRIVER_FILES=… bash bench/demo/run.sh bench/gpu/compile-census.ts [P=300] [NEW=8] [BATCH=2]
 * Results: bench/results/2026-11-28-compile-census-lavapipe.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generateGreedy, initBackend, setFusedAttentionDefault, SeededRandom } from '@kvc/models';
import { OTHER_CONFIGS, randomQwen3, watchOurCompiles } from '@kvc/models/testing';

const [p = 300, maxNew = 8, batch = 2] = process.argv.slice(2).map(Number);
await initBackend('cpu');
const { model } = await randomQwen3(Object.values(OTHER_CONFIGS)[0]!, 1);
await initBackend('webgpu');
setFusedAttentionDefault(true);
const be = tf.backend() as unknown as { pipelineCache: Record<string, unknown> };
// Our kernels compile through device.createShaderModule (pipelineFor); watchOurCompiles keeps their WGSL.
const ours = watchOurCompiles().codes;
const h = model.config.hiddenSize;
const rng = new SeededRandom(2);
const run = async (len: number) => {
  const tfjsBefore = new Set(Object.keys(be.pipelineCache));
  const oursBefore = ours.length;
  const prompts = Array.from({ length: batch }, (_, i) => tf.tensor2d(rng.uniform((len - i) * h, -1, 1), [len - i, h]));
  await generateGreedy(model, prompts, { maxNewTokens: maxNew, eosTokenId: [] });
  tf.dispose(prompts);
  const tfjsNew = Object.keys(be.pipelineCache).filter((k) => !tfjsBefore.has(k));
  console.log(`prompt ${len}: ${ours.length - oursBefore} of our pipelines and ${tfjsNew.length} of tfjs's compiled`);
  for (const k of tfjsNew.slice(0, 12)) console.log(`  tfjs ${k.slice(0, 110)}`);
  for (const c of ours.slice(oursBefore)) console.log(`  ours ${c.replace(/\s+/g, ' ').slice(0, 150)}`);
};
await run(p);
await run(p);
await run(p + 1);
process.exit(0);
