import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { checkpointed, type CheckpointStage } from './checkpointed.js';
import type { LoraPair } from './linear.js';

beforeAll(async () => {
  await initBackend('cpu');
});

type Ctx = { cos: tf.Tensor4D; sin: tf.Tensor4D; bias: tf.Tensor4D; lora: Partial<Record<'a' | 'b', LoraPair>> };

/**
 * Two stages (like attention, then MLP) with a LoRA pair each, counting how often each runs. The
 * staged backward recomputes the first stage's output once more unless the stage inputs are kept.
 */
function setup() {
  const runs = [0, 0];
  const pair = (seed: number): LoraPair => ({
    a: tf.randomNormal([2, 4], 0, 1, 'float32', seed) as tf.Tensor2D,
    b: tf.randomNormal([4, 2], 0, 1, 'float32', seed + 1) as tf.Tensor2D,
    scaling: 0.5,
    dropout: 0,
  });
  const z = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
  const ctx: Ctx = { cos: z, sin: z, bias: z, lora: { a: pair(1), b: pair(3) } };
  const stage =
    (i: number, k: 'a' | 'b'): CheckpointStage<Ctx, 'a' | 'b'>['run'] =>
    (x, c) => {
      runs[i]!++;
      const p = c.lora[k]!;
      const y = tf.matMul(tf.matMul(tf.reshape(x, [-1, 4]), p.b), p.a);
      return tf.add(x, tf.reshape(tf.tanh(tf.mul(y, p.scaling)), x.shape)) as tf.Tensor3D;
    };
  const stages = [
    { run: stage(0, 'a'), keys: ['a'] as const },
    { run: stage(1, 'b'), keys: ['b'] as const },
  ];
  const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 7) as tf.Tensor3D;
  return { runs, ctx, stages, x };
}

describe('checkpointed: a layer in stages, recomputed in backward', () => {
  for (const keepStageInputs of [false, true]) {
    it(`${keepStageInputs ? 'keeping' : 'recomputing'} the stage inputs: gradients equal the plain tape's; the first stage runs ${keepStageInputs ? 2 : 3} times`, async () => {
      const { runs, ctx, stages, x } = setup();
      const lora = [ctx.lora.a!.a, ctx.lora.a!.b, ctx.lora.b!.a, ctx.lora.b!.b];
      const withLora = (ls: tf.Tensor[]): Ctx => ({
        ...ctx,
        lora: {
          a: { ...ctx.lora.a!, a: ls[0] as tf.Tensor2D, b: ls[1] as tf.Tensor2D },
          b: { ...ctx.lora.b!, a: ls[2] as tf.Tensor2D, b: ls[3] as tf.Tensor2D },
        },
      });
      const plain = tf.grads((h: tf.Tensor, ...ls: tf.Tensor[]) =>
        tf.sum(tf.square(stages.reduce((y, st) => st.run(y, withLora(ls)), h as tf.Tensor3D))),
      )([x, ...lora]);
      runs.fill(0);
      const ck = tf.grads((h: tf.Tensor, ...ls: tf.Tensor[]) =>
        tf.sum(tf.square(checkpointed(h as tf.Tensor3D, withLora(ls), stages, { keepStageInputs }))),
      )([x, ...lora]);
      expect(runs).toEqual(keepStageInputs ? [2, 2] : [3, 2]);
      for (let i = 0; i < plain.length; i++) {
        const [a, b] = await Promise.all([plain[i]!.data(), ck[i]!.data()]);
        expect(Array.from(b)).toEqual(Array.from(a));
      }
      tf.dispose([...plain, ...ck, x, ...lora, ctx.cos]);
    });
  }
});
