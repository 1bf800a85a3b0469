/**
 * RecordedStep on webgpu (lavapipe in CI): a replay computes what recording the step again computes, bit for
 * bit, with inputs fed from the host or from tensors; the buffers it uses stay its own while it lives; two
 * captures of a step that bakes a step's value into a constant differ; and disposing gives everything back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { rmsNorm } from '../nn/rms-norm.js';
import { pinnedBufferCount } from './buffer-pins.js';
import { feedInputs, RecordedStep } from './recorded-step.js';
import { gpuBufferOf, webgpuBackend } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/** A step of tfjs kernels, constants, a reshape and our own kernel (RMSNorm) over a kept weight. */
function stepOf(w: tf.Tensor2D, g: tf.Tensor1D) {
  return ([x, scale]: readonly tf.Tensor[]): tf.Tensor2D =>
    tf.tidy(() => {
      const h = tf.matMul(tf.reshape(x!, [4, 8]), w);
      const s = tf.mul(tf.add(h, tf.ones([4, 16])), tf.cast(scale!, 'float32'));
      return tf.softmax(rmsNorm(tf.mul(s, 0.5), g, 1e-6)) as tf.Tensor2D;
    });
}

describe.skipIf(!gpu)('RecordedStep', () => {
  it('replays what a fresh recording computes, bit for bit, from host and tensor feeds', async () => {
    await initBackend('webgpu');
    const w = tf.keep(tf.randomUniform([8, 16], -1, 1, 'float32', 1) as tf.Tensor2D);
    const g = tf.keep(tf.randomUniform([16], 0.5, 1.5, 'float32', 2) as tf.Tensor1D);
    const fn = stepOf(w, g);
    const inputs = [tf.keep(tf.fill([32], 0)), tf.keep(tf.fill([4, 1], 0, 'int32'))];
    const x0 = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i));
    feedInputs(inputs, [x0, Int32Array.of(1, 2, 3, 4)]);
    const step = RecordedStep.capture(inputs, fn);
    expect(step.commandCount).toBeGreaterThan(4);
    const fresh = (x: Float32Array, s: Int32Array) =>
      tf.tidy(() => fn([tf.tensor1d(x), tf.tensor2d(s, [4, 1], 'int32')]));
    const want0 = fresh(x0, Int32Array.of(1, 2, 3, 4));
    expect(Array.from(await step.output.data())).toEqual(Array.from(await want0.data()));
    for (let k = 1; k < 4; k++) {
      const x = Float32Array.from({ length: 32 }, (_, i) => Math.cos(i * k));
      const s = Int32Array.of(k, -k, 2 * k, 3);
      // A tensor feed on odd steps (copied on the device), host values on even ones.
      const xf = k % 2 ? tf.tensor1d(x) : x;
      const got = await step.replay([xf, s]).data();
      const want = fresh(x, s);
      expect(Array.from(got)).toEqual(Array.from(await want.data()));
      tf.dispose([want, ...(xf instanceof tf.Tensor ? [xf] : [])]);
    }
    tf.dispose([want0, w, g]);
    step.dispose();
  });

  it('profiles its dispatches: one time per dispatch, named by tfjs program or by our kernel bindings', async () => {
    await initBackend('webgpu');
    const w = tf.keep(tf.randomUniform([8, 16], -1, 1, 'float32', 7) as tf.Tensor2D);
    const g = tf.keep(tf.randomUniform([16], 0.5, 1.5, 'float32', 8) as tf.Tensor1D);
    const inputs = [tf.keep(tf.fill([32], 1)), tf.keep(tf.fill([4, 1], 2, 'int32'))];
    const step = RecordedStep.capture(inputs, stepOf(w, g));
    const before = Array.from(await step.output.data());
    const times = await step.profile();
    if (webgpuBackend().device.features.has('timestamp-query')) {
      expect(times).toHaveLength(step.commandCount);
      expect(times!.every((t) => t.ms >= 0)).toBe(true);
      const labels = times!.map((t) => t.label);
      expect(labels).toContain('x,w→y,r'); // our RMSNorm kernel
      expect(labels.some((l) => /^tfjs \w+Program$/.test(l))).toBe(true);
      // Profiling replays on the inputs as they are: the output is what it was.
      expect(Array.from(await step.replay([new Float32Array(32).fill(1), Int32Array.of(2, 2, 2, 2)]).data())).toEqual(
        before,
      );
    } else expect(times).toBeUndefined();
    step.dispose();
    tf.dispose([w, g]);
  });

  it('keeps the buffers it uses out of the pool while it lives, even when their tensors are disposed', async () => {
    await initBackend('webgpu');
    const be = webgpuBackend();
    const w = tf.keep(tf.randomUniform([8, 16], -1, 1, 'float32', 3) as tf.Tensor2D);
    const g = tf.keep(tf.randomUniform([16], 0.5, 1.5, 'float32', 4) as tf.Tensor1D);
    const wBuffer = gpuBufferOf(be, w);
    const x = Float32Array.from({ length: 32 }, (_, i) => i / 7 - 2);
    const s = Int32Array.of(2, 1, 1, 3);
    const want = tf.tidy(() => stepOf(w, g)([tf.tensor1d(x), tf.tensor2d(s, [4, 1], 'int32')]));
    const wantValues = Array.from(await want.data());
    const inputs = [tf.keep(tf.fill([32], 0)), tf.keep(tf.fill([4, 1], 0, 'int32'))];
    feedInputs(inputs, [x, s]);
    const pinnedBefore = pinnedBufferCount(be.bufferManager);
    const step = RecordedStep.capture(inputs, stepOf(w, g));
    expect(pinnedBufferCount(be.bufferManager)).toBeGreaterThan(pinnedBefore);
    // The weight's owner lets it go; a new tensor of its size must not get its buffer and overwrite it.
    w.dispose();
    const others = Array.from({ length: 4 }, (_, i) => tf.keep(tf.fill([8, 16], 100 + i)));
    expect(others.map((t) => gpuBufferOf(be, t))).not.toContain(wBuffer);
    expect(Array.from(await step.replay([x, s]).data())).toEqual(wantValues);
    step.dispose();
    expect(pinnedBufferCount(be.bufferManager)).toBe(pinnedBefore);
    tf.dispose([want, g, ...others]);
  });

  it('two captures differ when a step bakes its own value into a constant', async () => {
    await initBackend('webgpu');
    const capture = (k: number) => {
      const inputs = [tf.keep(tf.fill([4], 0))];
      feedInputs(inputs, [Float32Array.of(1, 2, 3, 4)]);
      // tf.add(x, k) uploads k: a step's position passed this way would be stale in every replay.
      return RecordedStep.capture(inputs, ([x]) => tf.tidy(() => tf.exp(tf.add(x!, k))));
    };
    const [a, b, c] = [capture(1), capture(2), capture(2)];
    expect(a.differsFrom(b)).toMatch(/^command 0 of/);
    expect(b.differsFrom(c)).toBeUndefined();
    for (const r of [a, b, c]) r.dispose();
  });

  it('gives back every buffer on dispose, and after a step that throws', async () => {
    await initBackend('webgpu');
    const w = tf.keep(tf.randomUniform([8, 16], -1, 1, 'float32', 5) as tf.Tensor2D);
    const g = tf.keep(tf.randomUniform([16], 0.5, 1.5, 'float32', 6) as tf.Tensor1D);
    const before = { tensors: tf.memory().numTensors, pinned: pinnedBufferCount(webgpuBackend().bufferManager) };
    for (let i = 0; i < 3; i++) {
      const inputs = [tf.keep(tf.fill([32], 1)), tf.keep(tf.fill([4, 1], 1, 'int32'))];
      const step = RecordedStep.capture(inputs, stepOf(w, g));
      step.replay([new Float32Array(32), Int32Array.of(1, 1, 1, 1)]);
      step.dispose();
    }
    const inputs = [tf.keep(tf.fill([32], 1))];
    expect(() =>
      RecordedStep.capture(inputs, ([x]) =>
        tf.tidy(() => {
          tf.exp(x!);
          throw new Error('boom');
        }),
      ),
    ).toThrow('boom');
    tf.dispose(inputs);
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(pinnedBufferCount(webgpuBackend().bufferManager)).toBe(before.pinned);
    tf.dispose([w, g]);
  });
});
