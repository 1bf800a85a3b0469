/**
 * What each stage may change: stage 1 trains the projector only (LoRA and the LLM untouched);
 * stage 2 trains projector and LoRA (the LLM untouched). Weights are compared by name before
 * training, at the stage-1 end checkpoint and at the final checkpoint; the base model's tensors
 * in memory are compared with their snapshot and with the model folder on disk.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint, SeededRandom, initBackend } from '@kvc/models';
import type { Qwen3ForCausalLM } from '@kvc/models';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { changedNames, ofType, readCheckpointWeights, runEvents, snapshot } from './testing/run-events.js';

/** Every tensor of the base model's weights, by a path through the weights object. */
function baseTensors(model: Qwen3ForCausalLM): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const walk = (x: unknown, path: string): void => {
    if (x instanceof tf.Tensor) out.set(path, x);
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(model.weights, '');
  return out;
}

let s: TinySetup;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  s = await tinySetup({ numSamples: 4, loraDropout: 0.1 });
  // A non-zero adapter, so stage 1's forward really goes through LoRA (and gradients reach it).
  const rng = new SeededRandom(99);
  for (const [k, v] of s.parts.lora.variables())
    if (k.includes('lora_B')) v.assign(tf.tensor(rng.uniform(v.size, -0.1, 0.1), v.shape));
});
afterAll(async () => s?.dispose());

describe('what each stage trains', () => {
  it('stage 1 changes only the projector; stage 2 only projector and LoRA; the LLM never', async () => {
    const base = baseTensors(s.parts.model);
    expect(base.size).toBeGreaterThan(10);
    const base0 = snapshot(base);
    const proj0 = snapshot(s.parts.projector.variables('projector.'));
    const lora0 = snapshot(s.parts.lora.variables());
    const events = await runEvents({
      options: s.options('freeze', {
        stages: [
          { name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false },
          { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true },
        ],
        keepCheckpoints: 10,
      }),
      parts: s.parts,
      data: s.data({ batchSize: 2 }),
    });
    const cks = ofType(events, 'checkpoint');
    const stage1End = cks.find((c) => c.stage === 'stage1' && c.reason === 'epoch' && c.epoch === 2)!;
    const final = cks.find((c) => c.reason === 'final')!;
    expect(stage1End).toBeDefined();
    const after1 = await readCheckpointWeights(stage1End.path);
    const after2 = await readCheckpointWeights(final.path);
    const pick = (m: Map<string, Float32Array>, proj: boolean) =>
      new Map([...m].filter(([k]) => k.startsWith('projector.') === proj));

    // Stage 1: every projector tensor moved, no LoRA tensor did.
    expect(changedNames(proj0, pick(after1, true)).sort()).toEqual([...proj0.keys()].sort());
    expect(changedNames(lora0, pick(after1, false))).toEqual([]);
    // Stage 2: every projector and every LoRA tensor moved.
    expect(changedNames(pick(after1, true), pick(after2, true)).sort()).toEqual([...proj0.keys()].sort());
    expect(changedNames(pick(after1, false), pick(after2, false)).sort()).toEqual([...lora0.keys()].sort());
    // The final checkpoint holds what is in memory.
    expect(changedNames(snapshot(s.parts.lora.variables()), pick(after2, false))).toEqual([]);

    // The LLM: in memory as before, and as in the model folder.
    expect(changedNames(base0, snapshot(base))).toEqual([]);
    const ck = await Checkpoint.open(s.modelDir);
    try {
      const onDisk = new Map<string, Float32Array>();
      for (const n of ck.names()) onDisk.set(n, await ck.readFloat32(n));
      const inMemory = [...base.values()].map((t) => t.dataSync() as Float32Array);
      // Every disk tensor is one of the in-memory tensors, unchanged (names differ between the two).
      expect(onDisk.size).toBe(base.size);
      for (const [n, d] of onDisk)
        expect(
          inMemory.some((m) => m.length === d.length && m.every((v, i) => v === d[i])),
          n,
        ).toBe(true);
    } finally {
      await ck.close();
    }
  });
});
