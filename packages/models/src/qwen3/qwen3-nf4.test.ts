import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { Checkpoint } from '../io/checkpoint.js';
import { SafetensorsFile } from '../io/safetensors-file.js';
import type { LinearWeight } from '../nn/linear.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { SEED_LORA_CONFIG } from '../lora/lora-config.js';
import { compare } from '../parity/compare.js';
import { dequantizeNf4 } from '../quant/dequantize-nf4.js';
import { dequantizeNf4Matrix } from '../quant/nf4-matmul.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { quantizeNf4 } from '../quant/quantize-nf4.js';
import { OTHER_CONFIGS, randomIds } from '../testing/random-qwen3.js';
import { writeRandomQwen3 } from '../testing/write-random-qwen3.js';
import { loadQwen3 } from './load-qwen3.js';
import { Qwen3ForCausalLM } from './qwen3-for-causal-lm.js';
import { qwen3LinearModules } from './qwen3-weights.js';

const CONFIG = OTHER_CONFIGS['untied, head_dim 12, 4:1 GQA, bias, eps 1e-5, theta 5000']!;
const KEYS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

/** The NF4 model with every Nf4Matrix replaced by the f32 weight it stands for (shares everything else). */
function dequantizedCopy(m: Qwen3ForCausalLM<LinearWeight>): Qwen3ForCausalLM {
  const owned: tf.Tensor[] = [];
  const layers = m.weights.layers.map((l) => {
    const out = { ...l } as Record<string, unknown>;
    for (const k of KEYS) {
      const w = dequantizeNf4Matrix(l[k].weight as Nf4Matrix);
      owned.push(w);
      out[k] = { ...l[k], weight: w };
    }
    return out as never;
  });
  return new Qwen3ForCausalLM(m.config, { ...m.weights, layers }, owned);
}

describe('a tiny Qwen3 loaded with quantization nf4 (cpu)', () => {
  let dir: string, f32: Qwen3ForCausalLM, nf4: Qwen3ForCausalLM<LinearWeight>, deq: Qwen3ForCausalLM;
  let ids: tf.Tensor2D, lora: LoraAdapter, maxRead: number, maxInFlight: number;
  let largestTensor: number, shardBytes: number; // the checkpoint is 2 shards of about shardBytes
  beforeAll(async () => {
    await initBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-nf4-'));
    await writeRandomQwen3(dir, CONFIG, { seed: 31, shards: 2 });
    f32 = await loadQwen3(dir);
    // Count what the loader materializes: the bytes of each read and how many reads are alive at once.
    const read = SafetensorsFile.prototype.readBytes;
    let inFlight = 0;
    [maxRead, maxInFlight] = [0, 0];
    const spy = vi.spyOn(SafetensorsFile.prototype, 'readBytes');
    spy.mockImplementation(async function (this: SafetensorsFile, name: string) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        const b = await read.call(this, name);
        maxRead = Math.max(maxRead, b.byteLength);
        return b;
      } finally {
        inFlight--;
      }
    });
    nf4 = await loadQwen3(dir, { quantization: 'nf4', nf4DoubleQuant: true });
    spy.mockRestore();
    const ck = await Checkpoint.open(dir);
    const sizes = ck.names().map((n) => ck.info(n).end - ck.info(n).begin);
    [largestTensor, shardBytes] = [Math.max(...sizes), sizes.reduce((a, b) => a + b, 0) / 2];
    await ck.close();
    deq = dequantizedCopy(nf4);
    ids = tf.tensor2d(randomIds(2, 9, f32.config.vocabSize, 3), undefined, 'int32');
    lora = LoraAdapter.create(f32.linearModules(), { ...SEED_LORA_CONFIG, r: 4, loraDropout: 0 }, 5);
    let seed = 100;
    for (const v of lora.variables().values()) v.assign(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', seed++));
  });
  afterAll(() => {
    tf.dispose(ids);
    lora.dispose();
    deq.dispose();
    nf4.dispose();
    f32.dispose();
  });

  it('quantizes exactly the decoder linear weights, each read one tensor at a time', () => {
    for (const l of nf4.weights.layers) {
      for (const k of KEYS) {
        expect(l[k].weight).toBeInstanceOf(Nf4Matrix);
        expect(l[k].bias?.dtype ?? 'float32').toBe('float32');
      }
      expect(l.inputNorm.dtype).toBe('float32');
    }
    expect(nf4.weights.lmHead).toBeDefined();
    // Never more than one tensor's bytes in flight, never a whole shard.
    expect(maxInFlight).toBe(1);
    expect(maxRead).toBe(largestTensor);
    expect(maxRead).toBeLessThan(shardBytes / 2);
  });

  it('each weight is the host quantizer’s NF4 of the checkpoint tensor', async () => {
    const ck = await Checkpoint.open(dir);
    const path = qwen3LinearModules(f32.config, 1).down[0];
    const host = dequantizeNf4(quantizeNf4(await ck.readFloat32(`${path}.weight`), { doubleQuant: true }));
    await ck.close();
    expect(compare('down', await deq.weights.layers[1]!.down.weight.data(), host, 'exact', 0).pass).toBe(true);
  });

  it('logits equal the f32 model with the dequantized weights; the error vs the original is reported', async () => {
    for (const opts of [{}, { lora }]) {
      const a = nf4.logits({ inputIds: ids, ...opts }),
        d = deq.logits({ inputIds: ids, ...opts }),
        e = f32.logits({ inputIds: ids, ...opts });
      // Same operands through the same f32 ops (nf4MatMul is matMul of the dequantized W): bit-equal.
      expect(compare('vs dequantized', await a.data(), await d.data(), 'exact', 0).pass).toBe(true);
      // vs the original weights: first-order (parity/f16-parity-tolerance.ts's model), each of the D = 4
      // per-layer products on a path adds its weight's normwise NF4 error ε = ‖W − Q(W)‖/‖W‖ (measured here).
      const eps = await maxWeightError(f32, deq);
      const bound = 4 * f32.config.numHiddenLayers * eps;
      const c = compare('vs f32', await a.data(), await e.data(), 'rel-norm', bound);
      console.log(
        `tiny Qwen3 nf4 logits vs f32: rel-norm ${c.error.toExponential(2)} (max ε_W ${eps.toFixed(3)}, ` +
          `bound ${bound.toFixed(3)}), max abs ${c.maxAbs.toExponential(2)}`,
      );
      expect(c.pass).toBe(true);
      expect(c.error).toBeGreaterThan(0);
      tf.dispose([a, d, e]);
    }
  });

  it('LoRA gradients equal those of the dequantized model; steps leave no tensors behind', async () => {
    const grads = (m: Qwen3ForCausalLM<LinearWeight>) =>
      tf.variableGrads(
        () =>
          tf.tidy(() => {
            const logits = tf.slice(m.logits({ inputIds: ids, lora, checkpointLayers: true }), [0, 0, 0], [2, 8, -1]);
            const labels = tf.oneHot(tf.slice(ids, [0, 1], [2, 8]), m.config.vocabSize);
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          }),
        [...lora.variables().values()],
      );
    const g = grads(nf4),
      r = grads(deq);
    for (const [name, t] of Object.entries(r.grads)) {
      expect(compare(name, await g.grads[name]!.data(), await t.data(), 'rel-norm', 1e-6).pass, name).toBe(true);
    }
    tf.dispose([g.value, r.value, ...Object.values(g.grads), ...Object.values(r.grads)]);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const s = grads(nf4);
      tf.dispose([s.value, ...Object.values(s.grads)]);
    }
    expect(tf.memory().numTensors).toBe(n);
  });

  it('merging LoRA re-quantizes to NF4 (as PEFT does on a 4-bit base), within NF4 rounding of unmerged', async () => {
    const merged = nf4.withMergedLora(lora);
    expect(merged.weights.layers[0]!.q.weight).toBeInstanceOf(Nf4Matrix);
    const a = merged.logits({ inputIds: ids }),
      e = nf4.logits({ inputIds: ids, lora });
    const bound = 4 * f32.config.numHiddenLayers * (await maxWeightError(f32, deq));
    expect(compare('merged', await a.data(), await e.data(), 'rel-norm', bound).pass).toBe(true);
    tf.dispose([a, e]);
    merged.dispose();
  });
});

/** max over the decoder's linear weights of ‖W − Q(W)‖_F / ‖W‖_F. */
async function maxWeightError(f32: Qwen3ForCausalLM, deq: Qwen3ForCausalLM): Promise<number> {
  let worst = 0;
  for (let i = 0; i < f32.weights.layers.length; i++) {
    for (const k of KEYS) {
      const w = f32.weights.layers[i]![k].weight,
        q = deq.weights.layers[i]![k].weight;
      const e = tf.tidy(() => tf.div(tf.norm(tf.sub(w, q)), tf.norm(w)));
      worst = Math.max(worst, (await e.data())[0]!);
      e.dispose();
    }
  }
  return worst;
}
