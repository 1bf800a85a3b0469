import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { F16RowMatrix } from '../gpu/f16-embedding.js';
import { F16Matrix } from '../gpu/f16-matrix.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import type { LinearWeight } from '../nn/linear.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import { compare } from '../parity/compare.js';
import { f16RelTolerance } from '../parity/f16-parity-tolerance.js';
import { OTHER_CONFIGS, randomIds } from '../testing/random-qwen3.js';
import { writeRandomQwen3 } from '../testing/write-random-qwen3.js';
import { loadQwen3 } from './load-qwen3.js';
import type { Qwen3ForCausalLM } from './qwen3-for-causal-lm.js';

const gpu = await webgpuForTests();
const CONFIG = OTHER_CONFIGS['untied, head_dim 12, 4:1 GQA, bias, eps 1e-5, theta 5000']!;
const TIED = OTHER_CONFIGS['tied, head_dim 16, no GQA, 3 layers, theta 1e6 (transformers 5 rope_parameters)']!;

/** Mean next-token cross-entropy of `ids` and its gradients with respect to the adapter's variables. */
function lossAndGrads(model: Qwen3ForCausalLM<LinearWeight>, ids: tf.Tensor2D, lora: LoraAdapter) {
  const vars = [...lora.variables().values()];
  return tf.variableGrads(
    () =>
      tf.tidy(() => {
        const [b, t] = ids.shape;
        const logits = tf.slice(model.logits({ inputIds: ids, lora }), [0, 0, 0], [b, t - 1, -1]);
        const labels = tf.oneHot(tf.slice(ids, [0, 1], [b, t - 1]), model.config.vocabSize);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }),
    vars,
  );
}

describe.skipIf(!gpu)('a tiny Qwen3 loaded in precision f16 against the same checkpoint in f32 (webgpu)', () => {
  let f32: Qwen3ForCausalLM, f16: Qwen3ForCausalLM<LinearWeight>, lora: LoraAdapter, ids: tf.Tensor2D;
  let f16Tensors: number; // what loading in f16 added
  // The derived f16 tolerance (parity/f16-parity-tolerance.ts): 4 f16 GEMMs per layer and the head to the
  // logits, plus the embedding rounded to f16 (one rounding, less than one GEMM's ρ), twice that back to the
  // LoRA gradients. No f32 allowance: both sides run our own f32 code.
  let depth: number;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-f16-'));
    await writeRandomQwen3(dir, CONFIG, { seed: 21 });
    f32 = await loadQwen3(dir);
    const before = tf.memory().numTensors;
    f16 = await loadQwen3(dir, { precision: 'f16' });
    f16Tensors = tf.memory().numTensors - before;
    depth = 4 * f16.config.numHiddenLayers + 2;
    lora = LoraAdapter.create(f32.linearModules(), { ...SEED_LORA_CONFIG, r: 4, loraDropout: 0 }, 5);
    // PEFT starts B at zero; random B makes every LoRA gradient (and the LoRA output) non-zero.
    let seed = 100;
    for (const v of lora.variables().values()) v.assign(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', seed++));
    ids = tf.tensor2d(randomIds(2, 9, f32.config.vocabSize, 3), undefined, 'int32');
  });
  afterAll(async () => {
    tf.dispose(ids);
    lora.dispose();
    f32.dispose();
    if (gpu) await initBackend('cpu');
  });

  it('holds every frozen linear weight as an F16Matrix, embedding and head as F16RowMatrix; norms stay f32', () => {
    expect(f16.weights.embedTokens).toBeInstanceOf(F16RowMatrix);
    expect(f16.lmHeadWeight).toBeInstanceOf(F16RowMatrix);
    expect(f16.weights.norm.dtype).toBe('float32');
    for (const l of f16.weights.layers) {
      for (const key of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
        expect(l[key].weight).toBeInstanceOf(F16Matrix);
        expect(l[key].bias?.dtype ?? 'float32').toBe('float32');
      }
      expect(l.inputNorm.dtype).toBe('float32');
    }
  });

  it('a tied model keeps one f16 copy for its embedding and head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-f16-tied-'));
    await writeRandomQwen3(dir, TIED, { seed: 22 });
    const before = tf.memory().numTensors;
    const tied = await loadQwen3(dir, { precision: 'f16' });
    expect(tied.config.tieWordEmbeddings).toBe(true);
    expect(tied.lmHeadWeight).toBe(tied.weights.embedTokens);
    expect(tied.weights.embedTokens).toBeInstanceOf(F16RowMatrix);
    // per layer: 4 norms + 7 linear weights (+ biases when the config has them); then the table and the final norm
    const perLayer = 4 + 7 + (tied.config.attentionBias ? 4 : 0);
    expect(tf.memory().numTensors - before).toBe(tied.config.numHiddenLayers * perLayer + 2);
    tied.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('logits (base and with LoRA) are within the derived f16 tolerance of the f32 model', async () => {
    for (const opts of [{}, { lora }]) {
      const a = f16.logits({ inputIds: ids, ...opts }),
        e = f32.logits({ inputIds: ids, ...opts });
      const c = compare('logits', await a.data(), await e.data(), 'rel-norm', f16RelTolerance(depth, 0));
      console.log(`tiny Qwen3 f16 logits: rel-norm ${c.error.toExponential(2)} <= ${c.tolerance.toExponential(2)}`);
      expect(c.pass).toBe(true);
      expect(c.maxAbs).toBeGreaterThan(0); // f16 really ran
      tf.dispose([a, e]);
    }
  });

  it('loss and LoRA gradients are within the derived f16 tolerances of the f32 model', async () => {
    const g16 = lossAndGrads(f16, ids, lora),
      g32 = lossAndGrads(f32, ids, lora);
    const logits = f32.logits({ inputIds: ids, lora });
    const maxLogit = (await tf.max(tf.abs(logits)).data())[0]!;
    // cross-entropy moves by at most 2·max|δlogits| (see run-qwen3-vlm-parity.ts)
    const lossBound = 2 * f16RelTolerance(depth, 0) * maxLogit;
    expect(Math.abs((await g16.value.data())[0]! - (await g32.value.data())[0]!)).toBeLessThanOrEqual(lossBound);
    for (const [name, t] of Object.entries(g32.grads)) {
      const c = compare(name, await g16.grads[name]!.data(), await t.data(), 'rel-norm', f16RelTolerance(2 * depth, 0));
      expect(c.pass, `${name}: ${c.error} > ${c.tolerance}`).toBe(true);
    }
    tf.dispose([logits, g16.value, g32.value, ...Object.values(g16.grads), ...Object.values(g32.grads)]);
  });

  it('merging LoRA into f16 weights keeps f16 and matches the unmerged f16 model', async () => {
    const merged = f16.withMergedLora(lora);
    expect(merged.weights.layers[0]!.q.weight).toBeInstanceOf(F16Matrix);
    const a = merged.logits({ inputIds: ids }),
      e = f16.logits({ inputIds: ids, lora });
    // W + s·BA is rounded to f16 once, as W alone is in the unmerged model: the same per-GEMM budget
    const c = compare('merged', await a.data(), await e.data(), 'rel-norm', f16RelTolerance(depth, 0));
    expect(c.pass, `${c.error} > ${c.tolerance}`).toBe(true);
    tf.dispose([a, e]);
    merged.dispose();
  });

  it('repeated forwards and backwards leave no tensors behind; dispose frees the f16 weights', () => {
    const step = () => {
      const { value, grads } = lossAndGrads(f16, ids, lora);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const n = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(n);
    f16.dispose();
    expect(tf.memory().numTensors).toBe(n - f16Tensors);
  });
});
