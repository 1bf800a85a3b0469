import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { SafetensorsFile } from '../io/safetensors-file.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { OTHER_CONFIGS, randomIds, randomQwen3 } from '../testing/random-qwen3.js';
import { tinyQwen3ConfigJson } from '../testing/write-random-qwen3.js';
import { LoraAdapter } from './lora-adapter.js';
import { rowShards } from '../nn/row-matrix.js';
import { isLoraTarget, loraRankAndScaling, parseLoraConfig, SEED_LORA_CONFIG } from './lora-config.js';
import { parsePeftLoraKey, peftLoraKey } from './peft-names.js';

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

/** Gives every lora_B random values (PEFT's init makes B = 0, a no-op adapter). */
function randomizeB(adapter: LoraAdapter, seed: number): void {
  const rng = new SeededRandom(seed);
  for (const [name, v] of adapter.variables())
    if (name.includes('lora_B')) v.assign(tf.tensor(rng.uniform(v.size, -0.2, 0.2), v.shape));
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('PEFT names and config', () => {
  it.each([
    ['base_model.model.model.layers.3.mlp.up_proj.lora_A.weight', 'model.layers.3.mlp.up_proj', 'A', undefined],
    [
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight',
      'model.layers.0.self_attn.q_proj',
      'B',
      'default',
    ],
  ])('%s → %s lora_%s (adapter %s)', (key, path, side, adapterName) => {
    expect(parsePeftLoraKey(key)).toEqual({ modulePath: path, side, ...(adapterName ? { adapterName } : {}) });
    expect(peftLoraKey(path, side as 'A' | 'B', adapterName)).toBe(key);
  });

  it('matches targets and computes scaling like PEFT', () => {
    const c = { ...SEED_LORA_CONFIG, rankPattern: { 'layers.1.mlp.down_proj': 4 }, alphaPattern: {} };
    expect(isLoraTarget(c, 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(isLoraTarget(c, 'model.layers.0.self_attn.q_norm')).toBe(false);
    expect(isLoraTarget({ ...c, targetModules: '.*\\.q_proj' }, 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(loraRankAndScaling(c, 'model.layers.0.mlp.down_proj')).toEqual({ r: 16, scaling: 2 });
    expect(loraRankAndScaling(c, 'model.layers.1.mlp.down_proj')).toEqual({ r: 4, scaling: 8 });
    expect(loraRankAndScaling({ ...c, useRslora: true }, 'model.layers.0.mlp.down_proj').scaling).toBeCloseTo(32 / 4);
    expect(() => parseLoraConfig({ r: 4, target_modules: ['q_proj'], use_dora: true })).toThrow(/DoRA/);
  });
});

describe.each(Object.entries(OTHER_CONFIGS))('LoRA on %s', (_name, cfgJson) => {
  let model: Qwen3ForCausalLM;
  let adapter: LoraAdapter;
  const config = { ...SEED_LORA_CONFIG, r: 3, loraAlpha: 5, loraDropout: 0 };
  beforeAll(async () => {
    ({ model } = await randomQwen3(cfgJson, 3));
    adapter = LoraAdapter.create(model.linearModules(), config, 42);
  });
  afterAll(() => {
    adapter.dispose();
    model.dispose();
  });

  it('PEFT init: B = 0, so the adapted model equals the base; A is seeded', async () => {
    const x = tf.tensor2d(randomIds(2, 5, model.config.vocabSize, 1), undefined, 'int32');
    const base = model.logits({ inputIds: x });
    const lora = model.logits({ inputIds: x, lora: adapter });
    expect(await maxAbsDiff(base, lora)).toBe(0);
    const again = LoraAdapter.create(model.linearModules(), config, 42);
    const a1 = adapter.variables().values().next().value!;
    const a2 = again.variables().values().next().value!;
    expect(Array.from(await a1.data())).toEqual(Array.from(await a2.data()));
    expect(adapter.modulePaths()).toHaveLength(7 * model.config.numHiddenLayers);
    again.dispose();
    tf.dispose([x, base, lora]);
  });

  it('hands each module its scaling as one kept scalar per value, freed with the adapter', async () => {
    const before = tf.memory().numTensors;
    const c = { ...config, rankPattern: { 'layers.0.mlp.down_proj': 1 } };
    // Made inside a scope, as a caller's tf.tidy would: the scalars must survive it.
    tf.engine().startScope();
    const a = LoraAdapter.create(model.linearModules(), c, 7);
    tf.engine().endScope();
    const pairs = a.modulePaths().map((p) => a.pair(p)!);
    expect(new Set(pairs.map((p) => p.scaling))).toEqual(new Set([5 / 3, 5]));
    for (const p of pairs) expect((await p.scale!.data())[0]).toBe(Math.fround(p.scaling));
    expect(new Set(pairs.map((p) => p.scale)).size).toBe(2);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('merged weights give the same logits as the unmerged adapter, and differ from the base', async () => {
    randomizeB(adapter, 5);
    const x = tf.tensor2d(randomIds(2, 6, model.config.vocabSize, 2), undefined, 'int32');
    const base = model.logits({ inputIds: x });
    const lora = model.logits({ inputIds: x, lora: adapter });
    const merged = model.withMergedLora(adapter);
    const m = merged.logits({ inputIds: x });
    expect(await maxAbsDiff(m, lora)).toBeLessThan(1e-5);
    expect(await maxAbsDiff(base, lora)).toBeGreaterThan(1e-3);
    merged.dispose();
    expect(rowShards(model.weights.embedTokens).every((t) => !t.isDisposed)).toBe(true);
    tf.dispose([x, base, lora, m]);
  });

  it('save → load round trip in PEFT format (names, config fields, values, logits)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-lora-'));
    await adapter.save(dir, { baseModelNameOrPath: 'Qwen/Qwen3-8B' });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 3,
      lora_alpha: 5,
      bias: 'none',
      fan_in_fan_out: false,
      base_model_name_or_path: 'Qwen/Qwen3-8B',
    });
    const f = await SafetensorsFile.open(join(dir, 'adapter_model.safetensors'));
    expect([...f.tensors.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect([...f.tensors.keys()].every((k) => !k.includes('.default.'))).toBe(true);
    await f.close();
    const loaded = await LoraAdapter.load(dir, model.linearModules());
    for (const [name, v] of adapter.variables())
      expect(Array.from(await loaded.variables().get(name)!.data())).toEqual(Array.from(await v.data()));
    const x = tf.tensor2d(randomIds(1, 4, model.config.vocabSize, 3), undefined, 'int32');
    const a = model.logits({ inputIds: x, lora: adapter });
    const b = model.logits({ inputIds: x, lora: loaded });
    expect(await maxAbsDiff(a, b)).toBe(0);
    loaded.dispose();
    tf.dispose([x, a, b]);
  });
});

it('an adapter for another model is rejected with the mismatched tensors named', async () => {
  const { model } = await randomQwen3(tinyQwen3ConfigJson(), 1);
  const { model: other } = await randomQwen3(tinyQwen3ConfigJson({ intermediate_size: 40 }), 1);
  const adapter = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 2 }, 1);
  const dir = mkdtempSync(join(tmpdir(), 'kvc-lora-bad-'));
  await adapter.save(dir);
  const err = await LoraAdapter.load(dir, other.linearModules()).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'E_WEIGHTS_MISMATCH' });
  expect((err as { misshaped: { name: string }[] }).misshaped.map((m) => m.name)).toContain(
    'base_model.model.model.layers.0.mlp.up_proj.lora_B.weight',
  );
  adapter.dispose();
  model.dispose();
  other.dispose();
});
