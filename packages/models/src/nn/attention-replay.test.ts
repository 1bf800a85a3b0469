import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { attention } from './attention.js';
import { AttentionReplay } from './attention-replay.js';
import { checkpointed, type CheckpointStage } from './checkpointed.js';
import type { LoraPair } from './linear.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const rand = (shape: [number, number, number, number], seed: number) =>
  tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
const values = async (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

describe('AttentionReplay', () => {
  it('computes the forward once without a tape, then replays it under the tape with bit-identical gradients', async () => {
    const [q, k, v] = [rand([1, 4, 5, 8], 1), rand([1, 2, 5, 8], 2), rand([1, 2, 5, 8], 3)];
    const dy = rand([1, 4, 5, 8], 4);
    const opts = { causal: true, everyRowSeesAKey: true };
    const plain = tf.grads((a, b, c) => attention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, opts))(
      [q, k, v],
      dy,
    );
    const before = tf.memory().numTensors;
    const replay = new AttentionReplay();
    // The first forward, as a checkpointed layer runs it: no tape.
    const first = attention(q, k, v, { ...opts, replay });
    expect(replay.computed).toBe(1);
    const again = tf.grads((a, b, c) =>
      attention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, { ...opts, replay }),
    )([q, k, v], dy);
    expect(replay.computed).toBe(1);
    expect(await values(again)).toEqual(await values(plain));
    const direct = attention(q, k, v, opts);
    expect(await values([first])).toEqual(await values([direct]));
    direct.dispose();
    // Other queries than the kept ones are a misuse, never a silent wrong answer.
    const other = rand([1, 4, 3, 8], 5);
    expect(() => attention(other, k, v, { ...opts, replay })).toThrow(/kept for queries 1x4x5x8/);
    other.dispose();
    replay.dispose();
    tf.dispose([first, ...again]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, dy, ...plain]);
  });

  it('checkpointed keepAttention hands its stages one replay, computed once and freed after the backward', async () => {
    type Ctx = {
      cos: tf.Tensor4D;
      sin: tf.Tensor4D;
      bias: tf.Tensor4D;
      lora: Partial<Record<'a', LoraPair>>;
      attentionReplay?: AttentionReplay | undefined;
    };
    const seen: (AttentionReplay | undefined)[] = [];
    const pair: LoraPair = {
      a: tf.randomNormal([2, 8], 0, 1, 'float32', 6),
      b: tf.randomNormal([8, 2], 0, 1, 'float32', 7),
      scaling: 1,
      dropout: 0,
    };
    const z = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
    const ctx: Ctx = { cos: z, sin: z, bias: z, lora: { a: pair } };
    // Stage 0 attends over the input as q, k and v (2 heads of 4); stage 1 is elementwise.
    const stages: CheckpointStage<Ctx, 'a'>[] = [
      {
        keys: ['a'],
        run: (x, c) => {
          seen.push(c.attentionReplay);
          const p = c.lora.a!;
          const h = tf.transpose(
            tf.reshape(tf.matMul(tf.matMul(tf.reshape(x, [-1, 8]), p.b), p.a), [1, 5, 2, 4]),
            [0, 2, 1, 3],
          ) as tf.Tensor4D;
          const o = attention(h, h, h, { causal: true, everyRowSeesAKey: true, replay: c.attentionReplay });
          return tf.add(x, tf.reshape(tf.transpose(o, [0, 2, 1, 3]), x.shape)) as tf.Tensor3D;
        },
      },
      { keys: [], run: (x) => tf.tanh(x) as tf.Tensor3D },
    ];
    const x = tf.randomNormal([1, 5, 8], 0, 1, 'float32', 8) as tf.Tensor3D;
    const grads = (keepAttention: boolean) =>
      tf.grads((h, la, lb) =>
        tf.sum(
          tf.square(
            checkpointed(
              h as tf.Tensor3D,
              { ...ctx, lora: { a: { ...pair, a: la as tf.Tensor2D, b: lb as tf.Tensor2D } } },
              stages,
              { keepStageInputs: true, keepAttention },
            ),
          ),
        ),
      )([x, pair.a, pair.b]);
    const kept = grads(false);
    expect(seen).toEqual([undefined, undefined]);
    seen.length = 0;
    const before = tf.memory().numTensors;
    const replayed = grads(true);
    // The first forward and the taped recompute share one replay, which computed the attention once.
    expect(seen.length).toBe(2);
    expect(seen[0]).toBeInstanceOf(AttentionReplay);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[0]!.computed).toBe(1);
    expect(await values(replayed)).toEqual(await values(kept));
    expect(tf.memory().numTensors).toBe(before + replayed.length);
    // Without a tape (no backward to free them), nothing is kept.
    seen.length = 0;
    tf.dispose(checkpointed(x, ctx, stages, { keepStageInputs: true, keepAttention: true }));
    expect(seen).toEqual([undefined]);
    tf.dispose([...kept, ...replayed, x, z, pair.a, pair.b]);
  });
});
