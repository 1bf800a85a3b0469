import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qwen3ForCausalLM, initBackend } from '@kvc/models';
import { describeNonFinite, locateNonFinite } from './locate-non-finite.js';
import { disposeVlmBatch, toVlmBatch } from './to-vlm-batch.js';
import { trainableVariables } from './trainable-params.js';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { runEvents } from './testing/run-events.js';
import { TrainError } from '../errors.js';

let s: TinySetup;
beforeAll(async () => {
  await initBackend('cpu', { purpose: 'training' });
  s = await tinySetup({ layers: 3 });
});
afterAll(async () => s?.dispose());

/** The tiny model with one layer's MLP down projection set to +inf. */
function poisoned(layer: number): Qwen3ForCausalLM {
  const w = s.parts.model.weights;
  const bad = tf.fill(w.layers[layer]!.down.weight.shape, Infinity) as tf.Tensor2D;
  const layers = w.layers.map((l, i) => (i === layer ? { ...l, down: { ...l.down, weight: bad } } : l));
  return new Qwen3ForCausalLM(s.parts.model.config, { ...w, layers }, [bad]);
}

async function firstBatch() {
  for await (const b of s.data({ batchSize: 2 }).batches('stage2', 0, 0, 1)) return toVlmBatch(b);
  throw new Error('no batch');
}

describe('locateNonFinite', () => {
  it('names the first decoder layer whose output is not finite, and the gradients that are not', async () => {
    const model = poisoned(1);
    const vb = await firstBatch();
    const trainable = trainableVariables(s.parts, true);
    const before = tf.memory().numTensors;
    const where = await locateNonFinite({ ...s.parts, model }, vb, trainable);
    expect(tf.memory().numTensors).toBe(before);
    expect(where.activation).toBe('Qwen3 layer 1 (model.layers.1) output');
    expect(Number.isFinite(where.loss)).toBe(false);
    expect(where.parameters.length).toBeGreaterThan(0);
    expect(describeNonFinite(where)).toMatch(/first non-finite activation: Qwen3 layer 1/);
    disposeVlmBatch(vb);
    model.dispose();
  });

  it('finds nothing in a healthy model, with and without checkpointed layers', async () => {
    const vb = await firstBatch();
    const trainable = trainableVariables(s.parts, true);
    for (const checkpointLayers of [false, true]) {
      const where = await locateNonFinite(s.parts, vb, trainable, { checkpointLayers });
      expect(where).toMatchObject({ parameters: [] });
      expect(where.activation).toBeUndefined();
      expect(where.gradient).toBeUndefined();
      expect(describeNonFinite(where)).toMatch(/no non-finite value/);
    }
    disposeVlmBatch(vb);
  });

  it('the trainer stops on a non-finite loss naming that layer (E_NONFINITE_LOSS)', async () => {
    const model = poisoned(2);
    const options = s.options('poisoned', { checkNonFinite: true });
    const err = await runEvents({ options, parts: { ...s.parts, model }, data: s.data({ batchSize: 2 }) }).catch(
      (e: unknown) => e,
    );
    model.dispose();
    expect(err).toBeInstanceOf(TrainError);
    expect((err as TrainError).code).toBe('E_NONFINITE_LOSS');
    expect((err as TrainError).context.where).toMatch(/first non-finite activation: Qwen3 layer 2 \(model.layers.2\)/);
  });
});
