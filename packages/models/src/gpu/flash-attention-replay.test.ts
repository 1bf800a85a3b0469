import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { paddingAttentionBias } from '../nn/attention-bias.js';
import { AttentionReplay } from '../nn/attention-replay.js';
import { flashAttention } from './flash-attention.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

type T4 = tf.Tensor4D;
const values = async (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

describe.skipIf(!gpu)('flashAttention with an AttentionReplay (checkpointing that keeps attention results)', () => {
  it('runs the forward kernels once: the taped recompute replays o and the statistics, with bit-identical gradients', async () => {
    const q = tf.randomUniform([2, 4, 19, 16], -2, 2, 'float32', 1) as T4;
    const k = tf.randomUniform([2, 2, 19, 16], -2, 2, 'float32', 2) as T4;
    const v = tf.randomUniform([2, 2, 19, 16], -1, 1, 'float32', 3) as T4;
    const dy = tf.randomUniform([2, 4, 19, 16], -1, 1, 'float32', 4) as T4;
    const mask = tf.tensor2d([[...Array<number>(19).fill(1)], [0, 0, 0, ...Array<number>(16).fill(1)]]);
    const bias = paddingAttentionBias(mask);
    const opts = { bias, causal: true };
    const grads = (replay?: AttentionReplay) =>
      tf.grads((a, b, c) => flashAttention(a as T4, b as T4, c as T4, { ...opts, replay }))([q, k, v], dy);
    const plain = grads();
    const replay = new AttentionReplay();
    const first = flashAttention(q, k, v, { ...opts, replay });
    const again = grads(replay);
    expect(replay.computed).toBe(1);
    expect(await values(again)).toEqual(await values(plain));
    const direct = flashAttention(q, k, v, opts);
    expect(await values([first])).toEqual(await values([direct]));
    replay.dispose();
    tf.dispose([q, k, v, dy, mask, bias, first, direct, ...plain, ...again]);
  });
});
