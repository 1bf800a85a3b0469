import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { Checkpoint } from '../io/checkpoint.js';
import { KvCache } from '../nn/kv-cache.js';
import { loadQwen3 } from './load-qwen3.js';
import { Qwen3ForCausalLM } from './qwen3-for-causal-lm.js';
import { OTHER_CONFIGS, randomIds as ids } from '../testing/random-qwen3.js';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '../testing/write-random-qwen3.js';

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe.each(Object.entries(OTHER_CONFIGS))('Qwen3ForCausalLM with %s', (_name, cfgJson) => {
  let model: Qwen3ForCausalLM;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-'));
    await writeRandomQwen3(dir, cfgJson, { seed: 7 });
    model = await loadQwen3(dir);
  });

  it('KV-cache forward in pieces equals the full forward', async () => {
    const x = ids(2, 7, model.config.vocabSize, 3);
    const full = model.logits({ inputIds: tf.tensor2d(x, undefined, 'int32') });
    const cache = KvCache.forModel(model.config, 2, 7);
    const parts: tf.Tensor[] = [];
    for (const [s, e] of [
      [0, 4],
      [4, 5],
      [5, 7],
    ] as const) {
      parts.push(
        model.logits({
          inputIds: tf.tensor2d(
            x.map((r) => r.slice(s, e)),
            undefined,
            'int32',
          ),
          cache,
        }),
      );
    }
    const inc = tf.concat(parts, 1);
    expect(await maxAbsDiff(inc, full)).toBeLessThan(1e-5);
    cache.dispose();
    tf.dispose([full, inc, ...parts]);
  });

  it('padding is masked: a right-padded row equals the same tokens alone', async () => {
    const x = ids(1, 6, model.config.vocabSize, 5)[0]!;
    const alone = model.logits({ inputIds: tf.tensor2d([x.slice(0, 4)], undefined, 'int32') });
    const padded = model.logits({
      inputIds: tf.tensor2d([x], undefined, 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1, 1, 0, 0]]),
    });
    const head = tf.slice(padded, [0, 0, 0], [1, 4, -1]);
    expect(await maxAbsDiff(head, alone)).toBeLessThan(1e-5);
    tf.dispose([alone, padded, head]);
  });

  it('logits depend on every config value it reads (rope theta changes the output)', async () => {
    const other = new Qwen3ForCausalLM({ ...model.config, ropeTheta: model.config.ropeTheta * 3 }, model.weights, []);
    const x = tf.tensor2d(ids(1, 6, model.config.vocabSize, 9), undefined, 'int32');
    const a = model.logits({ inputIds: x });
    const b = other.logits({ inputIds: x });
    expect(await maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
    tf.dispose([x, a, b]);
  });
});

describe('loading', () => {
  it('loads a sharded bf16 checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-bf16-'));
    const cfg = Object.values(OTHER_CONFIGS)[0]!;
    await writeRandomQwen3(dir, cfg, { dtype: 'BF16', shards: 3, seed: 11 });
    const model = await loadQwen3(dir);
    expect(model).toBeInstanceOf(Qwen3ForCausalLM);
    expect(model.config.headDim).toBe(cfg.head_dim);
    expect(model.weights.lmHead).toBeDefined();
    const ck = await Checkpoint.open(dir);
    expect(ck.info('model.layers.1.mlp.down_proj.weight').dtype).toBe('BF16');
    const expected = await ck.readFloat32('model.layers.1.mlp.down_proj.weight');
    await ck.close();
    expect(Array.from(await (model.weights.layers[1]!.down.weight as tf.Tensor2D).data())).toEqual(
      Array.from(expected),
    );
    const logits = model.logits({ inputIds: tf.tensor2d([[1, 2, 3]], undefined, 'int32') });
    expect(logits.shape).toEqual([1, 3, cfg.vocab_size]);
    tf.dispose(logits);
    model.dispose();
  });

  it('a checkpoint that does not match config.json is one error listing every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-bad-'));
    await writeRandomQwen3(dir, tinyQwen3ConfigJson(), { seed: 2 });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 40, num_hidden_layers: 3 }));
    const before = tf.memory().numTensors;
    const err = await loadQwen3(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_WEIGHTS_MISMATCH' });
    const e = err as { missing: string[]; misshaped: { name: string }[] };
    expect(e.missing.some((n) => n.startsWith('model.layers.2.'))).toBe(true);
    expect(e.misshaped.map((m) => m.name)).toContain('model.layers.0.mlp.up_proj.weight');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects unsupported configs with the field named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-cfg-'));
    await writeRandomQwen3(dir, tinyQwen3ConfigJson(), { seed: 2 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify(tinyQwen3ConfigJson({ rope_scaling: { rope_type: 'yarn', factor: 4 } })),
    );
    await expect(loadQwen3(dir)).rejects.toMatchObject({
      code: 'E_CONFIG_UNSUPPORTED',
      context: { field: 'rope_parameters' },
    });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyQwen3ConfigJson({ model_type: 'llama4' })));
    const wrongType = { code: 'E_CONFIG_UNSUPPORTED', context: { field: 'model_type' } };
    await expect(loadQwen3(dir)).rejects.toMatchObject(wrongType);
  });
});
