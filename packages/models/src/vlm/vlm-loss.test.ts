import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SeededRandom } from '../engine/seeded-random.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import { Projector } from '../projector/projector.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { OTHER_CONFIGS, randomIds, randomQwen3 } from '../testing/random-qwen3.js';
import { generateGreedy } from '../generation/generate-greedy.js';
import { chunkedCrossEntropy, defaultChunkRows } from './chunked-cross-entropy.js';
import { IGNORE_INDEX, targetRuns, type VlmBatch } from './vlm-batch.js';
import { vlmLoss, vlmLossAndGrads, type VlmLossOptions } from './vlm-loss.js';
import { vlmGenerate } from './vlm-generate.js';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import { rowShards } from '../nn/row-matrix.js';

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('chunkedCrossEntropy', () => {
  it('sizes its default chunks to 256 MB of logits or one storage binding of the backend, whichever is less', () => {
    const vocab = 151936;
    for (const maxBytes of [Number.POSITIVE_INFINITY, 2 ** 31 - 4, 2 ** 27 - 4, vocab * 4 - 4]) {
      const rows = defaultChunkRows(vocab, maxBytes);
      const bytes = (r: number) => r * vocab * 4;
      expect(rows).toBeGreaterThanOrEqual(1);
      // As many rows as fit both limits (at least one row, even where one does not fit).
      if (rows > 1) expect(bytes(rows)).toBeLessThanOrEqual(Math.min(2 ** 28, maxBytes));
      expect(bytes(rows + 1) > Math.min(2 ** 28, maxBytes)).toBe(true);
    }
    // On cpu there is no binding limit: the 256 MB rule alone.
    expect(defaultChunkRows(vocab)).toBe(defaultChunkRows(vocab, Number.POSITIVE_INFINITY));
    expect(defaultChunkRows(vocab, 2 ** 27 - 4)).toBeLessThan(defaultChunkRows(vocab));
  });

  it('equals the plain log-softmax cross-entropy, value and gradient, for any chunk size', async () => {
    const rng = new SeededRandom(3);
    const n = 7;
    const hDim = 5;
    const v = 11;
    const h = tf.tensor2d(rng.uniform(n * hDim, -1, 1), [n, hDim]);
    const w = tf.tensor2d(rng.uniform(v * hDim, -1, 1), [v, hDim]);
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 4) % v);
    const plain = (x: tf.Tensor) =>
      tf.neg(
        tf.mean(
          tf.sum(
            tf.mul(
              tf.logSoftmax(tf.matMul(x as tf.Tensor2D, w, false, true)),
              tf.oneHot(tf.tensor1d(targets, 'int32'), v),
            ),
            1,
          ),
        ),
      );
    const ref = tf.grads((x) => plain(x))([h]);
    const refLoss = plain(h);
    for (const chunk of [1, 3, n, 100]) {
      const loss = chunkedCrossEntropy(h, w, targets, chunk);
      expect(await maxAbsDiff(loss, refLoss)).toBeLessThan(1e-6);
      const [g] = tf.grads((x) => chunkedCrossEntropy(x as tf.Tensor2D, w, targets, chunk))([h]);
      expect(await maxAbsDiff(g!, ref[0]!)).toBeLessThan(1e-6);
      tf.dispose([loss, g!]);
    }
    tf.dispose([h, w, refLoss, ...ref]);
  });

  it('selects the rows that predict a label: next-token shift, vision prefix and -100 skipped', () => {
    // 2 sequences, 2 vision tokens, 4 text tokens; labels -100 on prompt/pads.
    const labels = Int32Array.from([IGNORE_INDEX, 7, 8, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 5, 6]);
    const { runs, targets } = targetRuns(labels, 2, 4, 2);
    // seq 0: full labels [-,-,-,7,8,-]: rows 2,3 predict 7,8. seq 1: [-,-,-,-,5,6]: rows 9,10 (offset 6).
    expect(runs).toEqual([
      [2, 2],
      [9, 2],
    ]);
    expect(Array.from(targets)).toEqual([7, 8, 5, 6]);
  });
});

describe.each(Object.entries(OTHER_CONFIGS))('VLM loss on %s', (_name, cfgJson) => {
  let model: Qwen3ForCausalLM;
  let projector: Projector;
  let adapter: LoraAdapter;
  let batch: VlmBatch;
  let dir: string;
  beforeAll(async () => {
    ({ model, dir } = await randomQwen3(cfgJson, 4));
    projector = Projector.create('mlp2x_gelu', 6, model.config.hiddenSize, 9);
    adapter = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 2, loraDropout: 0.25 }, 2);
    for (const [n, v] of adapter.variables()) if (n.includes('lora_B')) v.assign(tf.fill(v.shape, 0.05));
    const rng = new SeededRandom(8);
    const ids = randomIds(2, 6, model.config.vocabSize, 4);
    batch = {
      visionFeatures: tf.tensor3d(rng.uniform(2 * 3 * 6, -1, 1), [2, 3, 6]),
      inputIds: tf.tensor2d(ids, undefined, 'int32'),
      attentionMask: tf.tensor2d([
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0],
      ]),
      labels: Int32Array.from([
        -100,
        -100,
        ids[0]![2]!,
        ids[0]![3]!,
        ids[0]![4]!,
        ids[0]![5]!,
        -100,
        -100,
        ids[1]![2]!,
        ids[1]![3]!,
        -100,
        -100,
      ]),
    };
  });
  afterAll(() => {
    tf.dispose([batch.visionFeatures, batch.inputIds, batch.attentionMask]);
    adapter.dispose();
    projector.dispose();
    model.dispose();
  });
  const trainable = () => new Map([...projector.variables('projector.'), ...adapter.variables()]);

  it('gradient checkpointing gives the same loss and gradients (with the same LoRA dropout masks)', async () => {
    const a = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), {
      dropoutRng: new SeededRandom(1),
    });
    const b = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), {
      dropoutRng: new SeededRandom(1),
      checkpointLayers: true,
      lossChunkRows: 2,
    });
    expect(await maxAbsDiff(a.loss, b.loss)).toBeLessThan(1e-6);
    for (const [name, g] of a.grads) {
      const norm = (await tf.tidy(() => tf.norm(g)).data())[0]!;
      expect(await maxAbsDiff(g, b.grads.get(name)!), name).toBeLessThanOrEqual(1e-5 * Math.max(norm, 1e-3));
    }
    // Dropout is active: another seed gives another loss.
    const c = vlmLoss({ model, projector, lora: adapter }, batch, { dropoutRng: new SeededRandom(2) });
    expect(await maxAbsDiff(a.loss, c)).toBeGreaterThan(1e-6);
    tf.dispose([a.loss, b.loss, c, ...a.grads.values(), ...b.grads.values()]);
  });

  it('attention in query chunks (long sequences), and checkpointing that keeps stage inputs, give the same loss and gradients', async () => {
    const a = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable());
    // 1 byte per block: every query row is its own chunk; with checkpointing too.
    // Also with the stage inputs kept (nn/checkpointed.ts): the same ops, one recompute fewer; and
    // with the attention's results kept too (one more fewer).
    const cases: VlmLossOptions[] = [
      { attentionChunkBytes: 1 },
      { attentionChunkBytes: 1, checkpointLayers: true },
      { checkpointLayers: 'keep-stage-inputs' },
      { checkpointLayers: 'keep-attention' },
      { attentionChunkBytes: 1, checkpointLayers: 'keep-attention' },
    ];
    for (const opts of cases) {
      const b = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), opts);
      expect(await maxAbsDiff(a.loss, b.loss)).toBeLessThan(1e-6);
      for (const [name, g] of a.grads) {
        const norm = (await tf.tidy(() => tf.norm(g)).data())[0]!;
        expect(await maxAbsDiff(g, b.grads.get(name)!), name).toBeLessThanOrEqual(1e-5 * Math.max(norm, 1e-3));
      }
      tf.dispose([b.loss, ...b.grads.values()]);
    }
    tf.dispose([a.loss, ...a.grads.values()]);
  });

  it('the streamed backward (freed as it goes) gives tf.variableGrads’ loss and gradients bit for bit, and keeps no tensor', async () => {
    for (const checkpointLayers of [false, true, 'keep-attention'] as const) {
      const before = tf.memory().numTensors;
      const opts = { checkpointLayers, dropoutRng: new SeededRandom(5), lossChunkRows: 3 };
      const vars = trainable();
      const ref = tf.variableGrads(
        () => vlmLoss({ model, projector, lora: adapter }, batch, { ...opts, dropoutRng: new SeededRandom(5) }),
        [...vars.values()],
      );
      const got = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, vars, opts);
      expect(Array.from(await got.loss.data())).toEqual(Array.from(await ref.value.data()));
      for (const [name, v] of vars) {
        const g = got.grads.get(name)!;
        expect(Array.from(await g.data()), `${checkpointLayers} ${name}`).toEqual(
          Array.from(await ref.grads[v.name]!.data()),
        );
      }
      tf.dispose([ref.value, got.loss, ...Object.values(ref.grads), ...got.grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('checkpointing that keeps the attention results gives bit-identical gradients to recomputing them, and keeps no tensor', async () => {
    const before = tf.memory().numTensors;
    const a = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), {
      checkpointLayers: 'keep-stage-inputs',
    });
    const b = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), {
      checkpointLayers: 'keep-attention',
    });
    expect(Array.from(await b.loss.data())).toEqual(Array.from(await a.loss.data()));
    for (const [name, g] of a.grads) {
      expect(Array.from(await b.grads.get(name)!.data()), name).toEqual(Array.from(await g.data()));
    }
    tf.dispose([a.loss, b.loss, ...a.grads.values(), ...b.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('embedding and output head in row shards (too large for one GPU buffer) give the same loss, gradients and captions', async () => {
    const [v, h] = [model.config.vocabSize, model.config.hiddenSize];
    // 3 shards of uneven size: 4 bytes short of a third of the matrix.
    const sharded = await loadQwen3(dir, { maxTensorBytes: Math.ceil((v * h * 4) / 3) + 4 });
    const shards = rowShards(sharded.weights.embedTokens);
    expect(shards.length).toBe(3);
    if (!model.config.tieWordEmbeddings) expect(rowShards(sharded.lmHeadWeight).length).toBe(3);
    const a = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), {
      checkpointLayers: true,
      lossChunkRows: 3,
    });
    const b = await vlmLossAndGrads({ model: sharded, projector, lora: adapter }, batch, trainable(), {
      checkpointLayers: true,
      lossChunkRows: 3,
    });
    expect(await maxAbsDiff(a.loss, b.loss)).toBeLessThan(1e-6);
    for (const [name, g] of a.grads) {
      const norm = (await tf.tidy(() => tf.norm(g)).data())[0]!;
      expect(await maxAbsDiff(g, b.grads.get(name)!), name).toBeLessThanOrEqual(1e-6 * Math.max(norm, 1e-3));
    }
    const gen = (m: Qwen3ForCausalLM) =>
      vlmGenerate({ model: m, projector, lora: adapter }, batch.visionFeatures, [1, 2, 3], {
        maxNewTokens: 5,
        eosTokenId: [],
        repetitionPenalty: 1.2,
      });
    expect((await gen(sharded)).map((c) => c.ids)).toEqual((await gen(model)).map((c) => c.ids));
    tf.dispose([a.loss, b.loss, ...a.grads.values(), ...b.grads.values()]);
    sharded.dispose();
    expect(shards.every((t) => t.isDisposed)).toBe(true);
  });

  it('checkpointing keeps fewer tensors alive between forward and backward', () => {
    const live = (checkpointLayers: boolean) => {
      let n = 0;
      const { value, grads } = tf.variableGrads(() => {
        const l = vlmLoss({ model, projector, lora: adapter }, batch, { checkpointLayers });
        n = tf.memory().numTensors;
        return l;
      }, [...trainable().values()]);
      tf.dispose([value, ...Object.values(grads)]);
      return n;
    };
    expect(live(true)).toBeLessThan(live(false));
  });

  it('vlmGenerate batches captions from features + prompt, equal to each alone', async () => {
    const parts = { model, projector, lora: adapter };
    const prompt = [1, 2, 3];
    const both = await vlmGenerate(parts, batch.visionFeatures, prompt, {
      maxNewTokens: 4,
      eosTokenId: [],
      repetitionPenalty: 1.2,
    });
    const first = tf.slice(batch.visionFeatures, [1, 0, 0], [1, -1, -1]);
    const alone = await vlmGenerate(parts, first as tf.Tensor3D, [prompt], {
      maxNewTokens: 4,
      eosTokenId: [],
      repetitionPenalty: 1.2,
    });
    expect(both[1]!.ids).toEqual(alone[0]!.ids);
    first.dispose();
  });

  it('only the given variables get gradients; base weights stay frozen tensors', async () => {
    const { loss, grads } = await vlmLossAndGrads(
      { model, projector, lora: adapter },
      batch,
      projector.variables('projector.'),
    );
    expect([...grads.keys()].sort()).toEqual([
      'projector.0.bias',
      'projector.0.weight',
      'projector.2.bias',
      'projector.2.weight',
    ]);
    expect(model.weights.embedTokens instanceof tf.Variable).toBe(false);
    tf.dispose([loss, ...grads.values()]);
  });

  it('tf.memory().numTensors does not grow over repeated forward, backward and generate', async () => {
    const once = async () => {
      const l = vlmLoss({ model, projector, lora: adapter }, batch);
      const { loss, grads } = await vlmLossAndGrads({ model, projector, lora: adapter }, batch, trainable(), {
        checkpointLayers: true,
        dropoutRng: new SeededRandom(3),
      });
      const prompt = tf.tidy(
        () => tf.squeeze(projector.apply(tf.slice(batch.visionFeatures, [0, 0, 0], [1, -1, -1])), [0]) as tf.Tensor2D,
      );
      await generateGreedy(model, [prompt, prompt], { maxNewTokens: 3, repetitionPenalty: 1.2, lora: adapter });
      tf.dispose([l, loss, prompt, ...grads.values()]);
    };
    await once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await once();
    expect(tf.memory().numTensors).toBe(before);
  });
});
