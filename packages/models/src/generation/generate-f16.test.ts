/**
 * Generation with f16 and with NF4 weights on webgpu (lavapipe in CI) at a batch of 5, where the decoding step takes the paths a
 * batch of 4 or more takes: the LoRA branches' x·Aᵀ once for q/k/v and for gate/up (nn/shared-low-rank.ts), inside
 * replayed steps. Each sequence alone (batch 1: none of that, its own GEMV sums, which do not depend on the batch)
 * must give the batch's ids; so must the batch recorded every step instead of replayed, and with the f16 KV cache
 * (the fused attention's default here) or the float32 one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { setFusedAttentionDefault } from '../gpu/flash-attention.js';
import * as lowRankDownModule from '../gpu/low-rank-down.js';
import * as nf4GemvModule from '../gpu/nf4-gemv-wgsl.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { KvCache } from '../nn/kv-cache.js';
import type { LinearWeight } from '../nn/linear.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { OTHER_CONFIGS } from '../testing/random-qwen3.js';
import { writeRandomQwen3 } from '../testing/write-random-qwen3.js';
import { generateGreedy } from './generate-greedy.js';

const gpu = await webgpuForTests();
const NEW = 6;

/** The frozen weights as the seed preset loads them (f16), and quantized as it does (NF4, nf4-gemv-wgsl.ts's GEMV). */
const WEIGHTS = {
  f16: { precision: 'f16' },
  nf4: { precision: 'f16', quantization: 'nf4' },
} as const;

describe
  .skipIf(!gpu)
  .each(
    Object.entries(OTHER_CONFIGS).flatMap(([name, config]) =>
      Object.entries(WEIGHTS).map(([weights, opts]) => [weights, name, config, opts] as const),
    ),
  )('generation with %s weights at batch 5 (shared x·Aᵀ, replayed steps), %s', (weights, _name, config, loadOpts) => {
  let model: Qwen3ForCausalLM<LinearWeight>;
  let lora: LoraAdapter;
  let prompts: tf.Tensor2D[];
  beforeAll(async () => {
    await initBackend('webgpu');
    const dir = mkdtempSync(join(tmpdir(), 'kvc-gen-f16-'));
    await writeRandomQwen3(dir, config, { seed: 31 });
    model = await loadQwen3(dir, loadOpts);
    lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 4, loraDropout: 0 }, 5);
    let seed = 200;
    for (const v of lora.variables().values()) v.assign(tf.randomUniform(v.shape, -0.3, 0.3, 'float32', seed++));
    const rng = new SeededRandom(6);
    const h = model.config.hiddenSize;
    prompts = [3, 9, 5, 7, 4].map((t) => tf.tensor2d(rng.uniform(t * h, -1, 1), [t, h]));
  });
  afterAll(async () => {
    tf.dispose(prompts);
    lora.dispose();
    model.dispose();
    setFusedAttentionDefault(false);
    await initBackend('cpu');
  });

  it.each([false, true])(
    'fused attention %s: batched, replayed = alone = recorded each step',
    async (fused) => {
      setFusedAttentionDefault(fused);
      const opts = { maxNewTokens: NEW, repetitionPenalty: 1.3, eosTokenId: [] as number[], lora };
      const shared = vi.spyOn(lowRankDownModule, 'lowRankDown');
      const caches = vi.spyOn(KvCache, 'forModel');
      const nf4Gemvs = vi.spyOn(nf4GemvModule, 'nf4GemvWgsl');
      // A method spied on again keeps its calls: count this test's only.
      shared.mockClear();
      caches.mockClear();
      nf4Gemvs.mockClear();
      try {
        const replayed: boolean[] = [];
        const batched = (
          await generateGreedy(model, prompts, { ...opts, onToken: (_n, t) => void replayed.push(t.replayed) })
        ).map((r) => r.ids);
        // The shared x·Aᵀ ran (q/k/v and gate/up of every layer, in the steps recorded op by op), and steps were
        // replayed.
        expect(shared.mock.calls.length).toBeGreaterThan(0);
        expect(replayed.some(Boolean)).toBe(true);
        // NF4 weights: the decoding steps' products took the NF4 GEMV (q/k/v and gate/up: K = hidden, 32).
        expect(nf4Gemvs.mock.calls.length > 0).toBe(weights === 'nf4');
        expect(new Set(batched.map((ids) => ids.join())).size).toBeGreaterThan(1);
        // The cache's rows: f16 with the fused attention where the decode kernels read the head width (a
        // multiple of 8: head_dim 16, not 12), float32 otherwise.
        expect(caches.mock.calls[0]![3]).toBe(fused && model.config.headDim % 8 === 0);
        const alone: number[][] = [];
        for (const p of prompts) alone.push((await generateGreedy(model, [p], opts))[0]!.ids);
        expect(batched).toEqual(alone);
        const recorded = await generateGreedy(model, prompts, { ...opts, replaySteps: false });
        expect(recorded.map((r) => r.ids)).toEqual(batched);
        if (fused) {
          const f32Cache = await generateGreedy(model, prompts, { ...opts, kvCache: 'f32' });
          expect(f32Cache.map((r) => r.ids)).toEqual(batched);
        }
      } finally {
        shared.mockRestore();
        nf4Gemvs.mockRestore();
      }
    },
    300_000,
  );
});
