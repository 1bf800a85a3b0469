/**
 * Generation on webgpu (lavapipe in CI), where the repetition penalty, argmax and EOS flags run on
 * the device and the KV cache is written by our WGSL kernel, against the CPU path: the reference
 * loop on the cpu backend that recomputes the whole sequence each step and applies the penalty and
 * argmax in JavaScript (repetition-penalty.ts). Batched prompts of different lengths and each
 * prompt alone must give that loop's ids, with the decoding steps replayed (the default) and recorded each.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { OTHER_CONFIGS, randomQwen3 } from '../testing/random-qwen3.js';
import { generateGreedy } from './generate-greedy.js';
import { applyRepetitionPenalty, argmax } from './repetition-penalty.js';

const gpu = await webgpuForTests();
const PENALTY = 1.3;
const NEW = 7;

/** The CPU path: full recompute from the prompt embeddings, penalty on generated ids (HF from embeddings). */
async function reference(model: Qwen3ForCausalLM, lora: LoraAdapter, prompt: tf.Tensor2D, eos: number[]) {
  const ids: number[] = [];
  for (let i = 0; i < NEW; i++) {
    const row = tf.tidy(() => {
      const gen = ids.length ? [tf.squeeze(model.embed(tf.tensor2d([ids], undefined, 'int32')), [0])] : [];
      const x = tf.expandDims(tf.concat([prompt, ...gen], 0), 0) as tf.Tensor3D;
      const h = model.forward({ inputsEmbeds: x, lora });
      return model.lmHead(tf.slice(h, [0, x.shape[1] - 1, 0], [1, 1, -1]));
    });
    const logits = (await row.data()) as Float32Array;
    row.dispose();
    applyRepetitionPenalty(logits, ids, PENALTY);
    ids.push(argmax(logits));
    if (eos.includes(ids[ids.length - 1]!)) break;
  }
  return ids;
}

describe.skipIf(!gpu).each(Object.entries(OTHER_CONFIGS))('generation on webgpu vs the CPU path, %s', (_n, cfg) => {
  let model: Qwen3ForCausalLM;
  let lora: LoraAdapter;
  let prompts: tf.Tensor2D[];
  beforeAll(async () => {
    await initBackend('cpu');
    ({ model } = await randomQwen3(cfg, 21));
    lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 2 }, 3);
    const rng = new SeededRandom(4);
    for (const [n, v] of lora.variables())
      if (n.includes('lora_B')) v.assign(tf.tensor(rng.uniform(v.size, -0.3, 0.3), v.shape));
    const h = model.config.hiddenSize;
    prompts = [3, 8, 5].map((t) => tf.tensor2d(rng.uniform(t * h, -1, 1), [t, h]));
  });
  afterAll(async () => {
    await initBackend('cpu');
    tf.dispose(prompts);
    lora.dispose();
    model.dispose();
  });

  it('batched (left-padded) and one-by-one give the CPU path ids, with and without an EOS', async () => {
    await initBackend('cpu');
    const free = await Promise.all(prompts.map((p) => reference(model, lora, p, [])));
    expect(new Set(free.map((r) => r.join())).size).toBeGreaterThan(1);
    // An EOS that sequence 0 produces mid-way: it stops there, the others run on (or stop at it too).
    const eos = [model.config.vocabSize + 3, free[0]![2]!];
    const stopped = await Promise.all(prompts.map((p) => reference(model, lora, p, eos)));
    await initBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const opts = { maxNewTokens: NEW, repetitionPenalty: PENALTY, lora };
    const replayed: boolean[] = [];
    const batched = await generateGreedy(model, prompts, {
      ...opts,
      eosTokenId: [],
      onToken: (_n, t) => void replayed.push(t.replayed),
    });
    expect(batched.map((r) => r.ids)).toEqual(free);
    // Decoding steps 4 to NEW − 1 were replays of step 3's recording (replayed-decode.ts); the ids above are theirs.
    expect(replayed).toEqual(Array.from({ length: NEW }, (_, i) => i >= 3 && i < NEW - 1));
    const recorded = await generateGreedy(model, prompts, { ...opts, eosTokenId: [], replaySteps: false });
    expect(recorded.map((r) => r.ids)).toEqual(free);
    const alone = [];
    for (const p of prompts) alone.push((await generateGreedy(model, [p], { ...opts, eosTokenId: [] }))[0]!.ids);
    expect(alone).toEqual(free);
    const withEos = await generateGreedy(model, prompts, { ...opts, eosTokenId: eos });
    expect(withEos.map((r) => r.ids)).toEqual(stopped);
    expect(withEos.map((r) => r.reachedEos)).toEqual(
      stopped.map((ids) => ids.length < NEW || eos.includes(ids.at(-1)!)),
    );
    expect(withEos[0]!.reachedEos).toBe(true);
  });

  it('a step that cannot be replayed is recorded each time: the same ids, with one warning', async () => {
    await initBackend('webgpu');
    const opts = { maxNewTokens: NEW, repetitionPenalty: PENALTY, lora, eosTokenId: [] };
    const want = (await generateGreedy(model, prompts, opts)).map((r) => r.ids);
    // tf.profile times every kernel with timestamp queries read back to the host: a capture refuses that.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const replayed: boolean[] = [];
      let ids: number[][] = [];
      await tf.profile(async () => {
        const out = await generateGreedy(model, prompts, {
          ...opts,
          onToken: (_n, t) => void replayed.push(t.replayed),
        });
        ids = out.map((r) => r.ids);
      });
      expect(ids).toEqual(want);
      expect(replayed.some(Boolean)).toBe(false);
      const said = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('not replayed'));
      // Once per reason and process (the first config's run said it; the second's says nothing).
      expect(said.length).toBeLessThanOrEqual(1);
      for (const m of said) expect(m).toMatch(/it issued a read back to the host/);
    } finally {
      warn.mockRestore();
    }
  });
});
