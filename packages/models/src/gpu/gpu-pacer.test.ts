import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { streamedGrads } from '../engine/streamed-grads.js';
import { DEFAULT_GPU_POOL_LIMIT } from './buffer-pool.js';
import { gpuPoolStats, setGpuPoolLimit } from './buffer-pool-policy.js';
import { gpuPacer, gpuPacingTotals } from './gpu-pacer.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();

afterAll(async () => {
  if (gpu) {
    setGpuPoolLimit(DEFAULT_GPU_POOL_LIMIT);
    await initBackend('cpu');
  }
});

/** Layers of growing width (new buffer sizes each), as a backward that makes the pool destroy buffers. */
const loss = (x: tf.Tensor, w: readonly tf.Tensor2D[]) =>
  tf.sum(w.reduce((h, wi) => tf.tanh(tf.matMul(h as tf.Tensor2D, wi)), x)) as tf.Scalar;

describe.skipIf(!gpu)('gpuPacer: the backward waits on the GPU for destroyed buffers (lavapipe in CI)', () => {
  it('fences and waits when the pool destroys buffers, and gives the same gradients as an unpaced backward', async () => {
    const x = tf.randomNormal([8, 16], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = [16, 24, 40, 56, 72].map(
      (n, i, a) => tf.randomNormal([i ? a[i - 1]! : 16, n], 0, 0.3, 'float32', i + 2) as tf.Tensor2D,
    );
    const grads = async () => {
      const pace = gpuPacer();
      const r = await streamedGrads(() => loss(x, w), [x, ...w], pace);
      const out = await Promise.all(r.grads.map((g) => g!.data()));
      tf.dispose([r.value, ...r.grads.map((g) => g!)]);
      return { out, paced: pace !== undefined };
    };
    setGpuPoolLimit({ maxFreeBytes: Infinity, maxDestroyedInFlightBytes: Infinity });
    const free = await grads();
    expect(free.paced).toBe(false); // an unbounded pile: no pacer at all

    // Every freed buffer destroyed at once, and none may be left in flight: a fence after each node, and a wait.
    setGpuPoolLimit({ maxFreeBytes: 0, maxDestroyedInFlightBytes: 0 });
    const t0 = gpuPacingTotals();
    const d0 = gpuPoolStats()!.destroyedBytes;
    const paced = await grads();
    const t1 = gpuPacingTotals();
    expect(paced.paced).toBe(true);
    expect(gpuPoolStats()!.destroyedBytes).toBeGreaterThan(d0);
    expect(t1.fences - t0.fences).toBeGreaterThanOrEqual(w.length);
    expect(t1.waits - t0.waits).toBeGreaterThanOrEqual(w.length);
    paced.out.forEach((g, i) => expect(Array.from(g), `gradient ${i}`).toEqual(Array.from(free.out[i]!)));

    // A pool that destroys nothing (keeps every buffer) takes one fence (the first) and never waits.
    setGpuPoolLimit({ maxFreeBytes: Infinity });
    await grads(); // the free list now holds every size the backward asks for
    const t2 = gpuPacingTotals();
    await grads();
    const t3 = gpuPacingTotals();
    expect(t3.fences - t2.fences).toBe(1);
    expect(t3.waits - t2.waits).toBeLessThanOrEqual(1); // the first node waits for that fence only
    tf.dispose([x, ...w]);
  });

  it('is off on the cpu backend, and the pool refuses a negative bound', async () => {
    expect(() => setGpuPoolLimit({ maxFreeBytes: 0, maxDestroyedInFlightBytes: -1 })).toThrow(
      /maxDestroyedInFlightBytes/,
    );
    await initBackend('cpu');
    expect(gpuPacer()).toBeUndefined();
    await initBackend('webgpu');
  });
});
