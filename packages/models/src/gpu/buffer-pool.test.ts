import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { DEFAULT_GPU_POOL_LIMIT } from './buffer-pool.js';
import { gpuPoolLimit, gpuPoolStats, resetGpuPoolPeak, setGpuPoolLimit } from './buffer-pool-policy.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
const MIB = 2 ** 20;

/** A workload like a growing KV cache: tensors of a new size each step, each freed after use. */
async function growingWorkload(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    const x = tf.tidy(() => tf.add(tf.ones([64 * 1024 + 256 * i]), 1)); // 256 KiB + 1 KiB a step
    await x.data(); // submitted and done: its buffers go back to the pool
    x.dispose();
  }
}

const counters = () => {
  const s = gpuPoolStats()!;
  const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU: number; numBytesInGPU: number };
  return { ...s, allocated: m.numBytesAllocatedInGPU, inUse: m.numBytesInGPU };
};

afterAll(async () => {
  if (gpu) {
    setGpuPoolLimit(DEFAULT_GPU_POOL_LIMIT);
    await initBackend('cpu');
  }
});

describe.skipIf(!gpu)('the bounded tfjs-webgpu buffer pool (lavapipe in CI)', () => {
  it('initBackend bounds the pool, and tfjs counters agree with ours', () => {
    expect(gpuPoolLimit()).toEqual(DEFAULT_GPU_POOL_LIMIT);
    const s = counters();
    expect(s.limit).toEqual(DEFAULT_GPU_POOL_LIMIT);
    expect(s.bytesAllocated).toBe(s.allocated);
    expect(s.freeBytes).toBe(s.allocated - s.inUse);
  });

  it('without a bound the pool keeps every size; a bound gives the memory back, now and afterwards', async () => {
    setGpuPoolLimit({ maxFreeBytes: Infinity });
    const before = counters();
    await growingWorkload(24);
    const kept = counters();
    expect(kept.freeBytes - before.freeBytes).toBeGreaterThan(24 * 256 * 1024); // nothing was returned
    expect(kept.destroyedBuffers).toBe(before.destroyedBuffers);

    setGpuPoolLimit({ maxFreeBytes: 1 * MIB });
    const trimmed = counters();
    expect(trimmed.freeBytes).toBeLessThanOrEqual(1 * MIB);
    expect(trimmed.allocated).toBeLessThan(kept.allocated - (kept.freeBytes - 1 * MIB) + 1);
    expect(trimmed.allocated).toBe(trimmed.inUse + trimmed.freeBytes);
    expect(trimmed.destroyedBuffers).toBeGreaterThan(kept.destroyedBuffers);

    await growingWorkload(24);
    const after = counters();
    expect(after.freeBytes).toBeLessThanOrEqual(1 * MIB);
    expect(after.allocated).toBe(after.inUse + after.freeBytes);
    expect(after.peakBytesAllocated).toBeGreaterThanOrEqual(after.allocated);
    // Each step's tensors (256 KiB and more) were live at once; afterwards none of them is.
    expect(after.peakBytesInUse).toBeGreaterThanOrEqual(after.inUse + 64 * 1024 * 4);
    expect(after.peakBytesInUse).toBeLessThanOrEqual(after.peakBytesAllocated);
  });

  it('a bound still reuses buffers of a repeated shape (no new allocation per step)', async () => {
    setGpuPoolLimit({ maxFreeBytes: 4 * MIB, maxFreePerSize: 4 });
    const step = async () => {
      const x = tf.tidy(() => tf.mul(tf.ones([1000, 100]), 2));
      await x.data();
      x.dispose();
    };
    await step();
    const first = counters();
    for (let i = 0; i < 10; i++) await step();
    const later = counters();
    expect(later.destroyedBuffers).toBe(first.destroyedBuffers);
    expect(later.allocated).toBe(first.allocated);
  });

  it('a cap on allocated bytes keeps free buffers until a new one would pass it, then gives back the oldest', async () => {
    setGpuPoolLimit({ maxFreeBytes: 0 });
    const base = counters(); // what live tensors (and tfjs's own buffers) hold now
    setGpuPoolLimit({ maxFreeBytes: Infinity, maxAllocatedBytes: base.allocated + 3 * MIB });
    resetGpuPoolPeak();
    // Distinct sizes of 256 KiB and more, each freed after use: 24 of them are ~7.6 MiB, more than the cap leaves.
    await growingWorkload(24);
    const after = counters();
    expect(after.destroyedBuffers).toBeGreaterThan(base.destroyedBuffers);
    expect(after.peakBytesAllocated).toBeLessThanOrEqual(base.allocated + 3 * MIB);
    expect(after.freeBytes).toBeGreaterThan(2 * MIB); // kept far more than maxFreeBytes: 0 would have
    expect(after.allocated).toBe(after.inUse + after.freeBytes);
    // A repeated shape is served by a kept buffer: nothing destroyed, nothing allocated.
    const step = async () => {
      const x = tf.tidy(() => tf.mul(tf.ones([1000, 100]), 2));
      await x.data();
      x.dispose();
    };
    for (let i = 0; i < 3; i++) await step();
    const warm = counters();
    for (let i = 0; i < 5; i++) await step();
    expect(counters().destroyedBuffers).toBe(warm.destroyedBuffers);
    expect(counters().allocated).toBe(warm.allocated);
    expect(() => setGpuPoolLimit({ maxFreeBytes: 0, maxAllocatedBytes: -1 })).toThrow(/maxAllocatedBytes/);
  });

  it('computes the same values with no pool at all (every freed buffer destroyed while tfjs runs)', async () => {
    // A chain of kernels whose intermediates are freed (and, with bound 0, destroyed) mid-stream.
    const chain = async () => {
      const y = tf.tidy(() => {
        let x = tf.div(tf.reshape(tf.range(0, 4096), [64, 64]), 4096) as tf.Tensor2D;
        for (let i = 0; i < 12; i++) x = tf.tanh(tf.add(tf.matMul(x, x), i / 12)) as tf.Tensor2D;
        return x;
      });
      const v = Array.from(await y.data());
      y.dispose();
      return v;
    };
    setGpuPoolLimit({ maxFreeBytes: Infinity });
    const pooled = await chain();
    setGpuPoolLimit({ maxFreeBytes: 0 });
    const destroyedBefore = counters().destroyedBuffers;
    expect(await chain()).toEqual(pooled);
    expect(counters().freeBytes).toBe(0);
    expect(counters().destroyedBuffers).toBeGreaterThan(destroyedBefore);
  });
});
