import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { recordDeviceError } from '../engine/device-errors.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { OTHER_CONFIGS, randomIds, randomQwen3 } from '../testing/random-qwen3.js';
import { KEY_BLOCK } from '../nn/kv-cache.js';
import { generateGreedy, generateGreedyFromIds, type StepTiming } from './generate-greedy.js';
import { applyRepetitionPenalty, argmax } from './repetition-penalty.js';
import { bundledQwen3TokenizerDir, loadTokenizer } from '../tokenizer/text-tokenizer.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('repetition penalty (HF semantics)', () => {
  it.each([
    // logits, previous ids, penalty, expected
    [[2, -2, 1, 0.5], [0, 1], 2, [1, -4, 1, 0.5]],
    [[2, -2, 1, 0.5], [0, 0, 0], 2, [1, -2, 1, 0.5]], // once per distinct token
    [[2, -2, 1, 0.5], [], 2, [2, -2, 1, 0.5]],
    [[3, 1], [1], 1, [3, 1]],
  ])('%j with %j penalty %d → %j', (logits, prev, p, expected) => {
    const x = Float32Array.from(logits);
    applyRepetitionPenalty(x, prev, p);
    expect(Array.from(x)).toEqual(expected);
  });

  it('argmax takes the first maximum', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([5])).toBe(0);
  });
});

describe.each(Object.entries(OTHER_CONFIGS))('greedy generation on %s', (_name, cfgJson) => {
  let model: Qwen3ForCausalLM;
  let adapter: LoraAdapter;
  beforeAll(async () => {
    // Larger weights make the random model's next-token choice depend strongly on context.
    ({ model } = await randomQwen3(cfgJson, 21));
    adapter = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 2 }, 3);
    const rng = new SeededRandom(4);
    for (const [n, v] of adapter.variables())
      if (n.includes('lora_B')) v.assign(tf.tensor(rng.uniform(v.size, -0.3, 0.3), v.shape));
  });
  afterAll(() => {
    adapter.dispose();
    model.dispose();
  });

  it('KV-cache decoding equals recomputing the full sequence every step', async () => {
    const prompt = randomIds(1, 5, model.config.vocabSize, 7)[0]!;
    const [res] = await generateGreedyFromIds(model, [prompt], {
      maxNewTokens: 6,
      repetitionPenalty: 1.3,
      eosTokenId: [],
      lora: adapter,
    });
    const seq = [...prompt];
    for (let i = 0; i < 6; i++) {
      const logits = tf.tidy(() => {
        const all = model.logits({ inputIds: tf.tensor2d([seq], undefined, 'int32'), lora: adapter });
        return tf.slice(all, [0, seq.length - 1, 0], [1, 1, -1]);
      });
      const row = (await logits.data()) as Float32Array;
      logits.dispose();
      applyRepetitionPenalty(row, seq, 1.3); // from ids: the prompt counts too, as in HF
      seq.push(argmax(row));
    }
    expect(res!.ids).toEqual(seq.slice(prompt.length));
  });

  it('an f16 KV cache off webgpu is refused with a code and a hint, before any step', async () => {
    const prompt = randomIds(1, 3, model.config.vocabSize, 8)[0]!;
    const before = tf.memory().numTensors;
    await expect(
      generateGreedyFromIds(model, [prompt], { maxNewTokens: 2, eosTokenId: [], kvCache: 'f16' }),
    ).rejects.toMatchObject({ code: 'E_GPU_F16_ROWS', hint: expect.stringContaining('webgpu') });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a batch of different-length prompts (embeddings) generates what each generates alone', async () => {
    const rng = new SeededRandom(12);
    const h = model.config.hiddenSize;
    const prompts = [3, 7, 5].map((t) => tf.tensor2d(rng.uniform(t * h, -1, 1), [t, h]));
    const opts = { maxNewTokens: 8, repetitionPenalty: 1.2, eosTokenId: [] as number[], lora: adapter };
    const tensors = tf.memory().numTensors;
    const batched = await generateGreedy(model, prompts, opts);
    expect(tf.memory().numTensors).toBe(tensors); // cache, picker state and the speculative step all freed
    // Prefill in chunks of 2 tokens (through the cache) gives the one-pass result.
    expect((await generateGreedy(model, prompts, { ...opts, prefillChunkTokens: 2 })).map((r) => r.ids)).toEqual(
      batched.map((r) => r.ids),
    );
    const alone = await Promise.all(prompts.map(async (p) => (await generateGreedy(model, [p], opts))[0]!));
    expect(batched.map((r) => r.ids)).toEqual(alone.map((r) => r.ids));
    expect(new Set(batched.map((r) => r.ids.join(','))).size).toBeGreaterThan(1);
    tf.dispose(prompts);
  });

  it('a prefill in chunks over a prompt longer than KEY_BLOCK (sliced keys) gives the one-pass ids', async () => {
    const rng = new SeededRandom(15);
    const h = model.config.hiddenSize;
    const prompts = [KEY_BLOCK + 40, 100].map((t) => tf.tensor2d(rng.uniform(t * h, -1, 1), [t, h]));
    const opts = { maxNewTokens: 3, repetitionPenalty: 1.2, eosTokenId: [] as number[], lora: adapter };
    const onePass = await generateGreedy(model, prompts, { ...opts, prefillChunkTokens: 10_000 });
    const chunked = await generateGreedy(model, prompts, { ...opts, prefillChunkTokens: 256 });
    expect(chunked.map((r) => r.ids)).toEqual(onePass.map((r) => r.ids));
    tf.dispose(prompts);
  });

  it('reports each step once, in order, with its time split into recording and waiting', async () => {
    const calls: [number, StepTiming][] = [];
    const t0 = performance.now();
    const [r] = await generateGreedyFromIds(model, randomIds(1, 4, model.config.vocabSize, 5), {
      maxNewTokens: 5,
      eosTokenId: [],
      onToken: (n, timing) => void calls.push([n, timing]),
    });
    const wall = performance.now() - t0;
    expect(calls.map(([n]) => n)).toEqual([1, 2, 3, 4, 5]);
    expect(r!.ids).toHaveLength(5);
    for (const [, t] of calls) {
      expect(t.recordMs).toBeGreaterThanOrEqual(0);
      expect(t.waitMs).toBeGreaterThanOrEqual(0);
    }
    // The steps partition the generation: together they fit in its wall time, and the first records the prefill.
    const sum = calls.reduce((a, [, t]) => a + t.recordMs + t.waitMs, 0);
    expect(sum).toBeLessThanOrEqual(wall);
    expect(calls[0]![1].recordMs).toBeGreaterThan(0);
  });

  it('stops at the step a GPU error is reported in, with its code, and frees what it held', async () => {
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const run = generateGreedyFromIds(model, randomIds(1, 4, model.config.vocabSize, 6), {
      maxNewTokens: 20,
      eosTokenId: [],
      onToken: (n) => {
        steps.push(n);
        // As Dawn reports it when a tensor outgrows a binding (B32 × 4620 × 4096 f32 prompts, session 16).
        if (n === 2)
          recordDeviceError('Binding size (2422210560) of [Buffer] is larger than the maximum (2147483644).');
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'E_GPU_ERROR', message: expect.stringContaining('Binding size') });
    expect(steps).toEqual([1, 2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns decoded text (special tokens and EOS skipped) when given a tokenizer', async () => {
    const tokenizer = await loadTokenizer(bundledQwen3TokenizerDir());
    const [r] = await generateGreedyFromIds(model, [randomIds(1, 3, model.config.vocabSize, 2)[0]!], {
      maxNewTokens: 4,
      eosTokenId: [],
      tokenizer,
    });
    expect(r!.text).toBe(tokenizer.decode(r!.ids, { skipSpecialTokens: true }));
  });

  it('each sequence stops at its own EOS (a list of eos ids), others continue', async () => {
    const prompts = randomIds(2, 4, model.config.vocabSize, 31);
    prompts[1] = prompts[1]!.slice(0, 2);
    const free = await generateGreedyFromIds(model, prompts, { maxNewTokens: 8, eosTokenId: [], lora: adapter });
    expect(free.every((r) => r.ids.length === 8 && !r.reachedEos)).toBe(true);
    const eos = free[0]!.ids[2]!;
    const stopped = await generateGreedyFromIds(model, prompts, {
      maxNewTokens: 8,
      eosTokenId: [model.config.vocabSize + 5, eos],
      lora: adapter,
    });
    const cut = free[0]!.ids.indexOf(eos);
    expect(stopped[0]).toMatchObject({ ids: free[0]!.ids.slice(0, cut + 1), reachedEos: true });
    const cut1 = free[1]!.ids.indexOf(eos);
    expect(stopped[1]!.ids).toEqual(cut1 >= 0 ? free[1]!.ids.slice(0, cut1 + 1) : free[1]!.ids);
  });
});
