import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';
import { streamedGrads } from './streamed-grads.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const values = async (ts: (tf.Tensor | undefined)[]) => Promise.all(ts.map((t) => t!.data()));

/** A chain of `n` custom-gradient nodes, each saving a tensor of `saveBytes` (as a checkpointed layer saves its input). */
function chain(x: tf.Tensor, n: number, saveBytes: number, onBackward?: (i: number) => void): tf.Tensor {
  let h = x;
  for (let i = 0; i < n; i++) {
    const layer = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args.pop() as tf.GradSaveFunc;
      const [a] = args as tf.Tensor[];
      save([a!, tf.zeros([saveBytes / 4])]);
      return {
        value: tf.mul(tf.tanh(a!), 1.5),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          onBackward?.(i);
          const t = tf.tanh(saved[0]!);
          return tf.mul(dy, tf.mul(tf.sub(1, tf.square(t)), 1.5));
        },
      };
    });
    h = layer(h);
  }
  return h;
}

describe('streamedGrads: tfjs gradients, walked node by node', () => {
  it('equal tf.grads bit for bit: shared inputs, aliased gradients (an identity custom gradient), an unused x', async () => {
    const a = tf.tensor2d([0.3, -1.2, 2.5, 0.7, -0.1, 1.9], [2, 3]);
    const b = tf.tensor2d([1.1, -0.4, 0.25, 0.6, -2.0, 0.9], [3, 2]);
    const unused = tf.scalar(4);
    const identity = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => dy,
    }));
    const f = (x: tf.Tensor, y: tf.Tensor) => {
      const m = tf.matMul(identity(x) as tf.Tensor2D, y as tf.Tensor2D);
      // x is used three times: its gradient is accumulated.
      return tf.sum(tf.add(tf.mul(tf.relu(m), tf.sum(x)), tf.sum(tf.square(x))));
    };
    const before = tf.memory().numTensors;
    const ref = tf.grads(f)([a, b]);
    const got = await streamedGrads(() => f(a, b) as tf.Scalar, [a, b, unused]);
    expect(got.grads[2]).toBeUndefined();
    const [ra, rb] = await values(ref);
    const [ga, gb] = await values(got.grads.slice(0, 2));
    expect(Array.from(ga!)).toEqual(Array.from(ra!));
    expect(Array.from(gb!)).toEqual(Array.from(rb!));
    const direct = tf.tidy(() => f(a, b));
    expect((await got.value.data())[0]).toBe((await direct.data())[0]);
    tf.dispose([...ref, direct, got.value, ...got.grads.filter((g): g is tf.Tensor => !!g)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, unused]);
  });

  it('one gradient for two xs (an alias) comes back as two tensors, each the caller may dispose', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const dup = await streamedGrads(() => tf.sum(x) as tf.Scalar, [x, x]);
    expect(dup.grads[0]).not.toBe(dup.grads[1]);
    expect(Array.from(await dup.grads[1]!.data())).toEqual([1, 1, 1]);
    tf.dispose([dup.value, ...dup.grads.map((g) => g!)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('frees each node’s saved tensors and its incoming gradient once its backward ran (tfjs holds them to the end)', async () => {
    const n = 6;
    const save = 256 * 1024;
    const x = tf.randomNormal([1024]);
    const bytes: number[] = [];
    const got = await streamedGrads(
      () => tf.sum(chain(x, n, save)) as tf.Scalar,
      [x],
      () => void bytes.push(tf.memory().numBytes),
    );
    // One pace per tape node; across the chain's nodes the held bytes fall by at least a saved block each.
    expect(bytes.length).toBeGreaterThanOrEqual(n);
    const drop = bytes[1]! - bytes[bytes.length - 1]!;
    expect(drop).toBeGreaterThanOrEqual((n - 1) * save);
    // tf.grads over the same chain: the same gradient.
    const ref = tf.grads((a: tf.Tensor) => tf.sum(chain(a, n, save)))([x]);
    expect(Array.from(await got.grads[0]!.data())).toEqual(Array.from(await ref[0]!.data()));
    tf.dispose([x, got.value, got.grads[0]!, ...ref]);
  });

  it('waits on the pace between nodes: no node’s backward runs before the previous pace resolved', async () => {
    const x = tf.randomNormal([16]);
    const log: string[] = [];
    let pending = 0;
    const got = await streamedGrads(
      () => tf.sum(chain(x, 4, 16, (i) => log.push(`layer ${i}${pending ? ' (early)' : ''}`))) as tf.Scalar,
      [x],
      async () => {
        pending++;
        await new Promise((r) => setTimeout(r, 2));
        pending--;
      },
    );
    expect(log).toEqual(['layer 3', 'layer 2', 'layer 1', 'layer 0']);
    tf.dispose([x, got.value, got.grads[0]!]);
  });

  it('a backward that throws leaves no tensor behind and no tape open', async () => {
    const x = tf.randomNormal([64]);
    const before = tf.memory().numTensors;
    const failing = () =>
      tf.sum(
        chain(x, 3, 64, (i) => {
          if (i === 1) throw new Error('boom in layer 1');
        }),
      ) as tf.Scalar;
    await expect(streamedGrads(failing, [x])).rejects.toThrow(/boom in layer 1/);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape).toBeNull();
    // And a gradient afterwards works.
    const ok = await streamedGrads(() => tf.sum(tf.square(x)) as tf.Scalar, [x]);
    expect(Array.from(await ok.grads[0]!.data())).toEqual(Array.from(await tf.mul(x, 2).data()));
    tf.dispose([x, ok.value, ok.grads[0]!]);
  });
});
