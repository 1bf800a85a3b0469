import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendError } from '../errors.js';
import { withBackendErrors } from './backend-op-error.js';
import { initBackend, isSoftwareAdapter } from './init-backend.js';
import { kaimingUniformA5, SeededRandom } from './seeded-random.js';

afterAll(async () => {
  await initBackend('cpu');
});

describe('initBackend', () => {
  it('activates the requested backend and says why', async () => {
    expect(await initBackend('cpu')).toEqual({ backend: 'cpu', reason: 'requested' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto picks an available backend and says why', async () => {
    const choice = await initBackend('auto', { purpose: 'training' });
    expect(['webgpu', 'tensorflow', 'wasm']).toContain(choice.backend);
    expect(choice.reason).toMatch(/^auto: /);
    expect(tf.getBackend()).toBe(choice.backend);
    const strict = await initBackend('auto', { purpose: 'training-any' });
    expect(strict.backend).not.toBe('wasm');
  });

  it('auto never picks a software WebGPU adapter (lavapipe): wasm is faster there', async () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ architecture: 'software' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: false, architecture: 'hopper' })).toBe(false);
    expect(isSoftwareAdapter(undefined)).toBe(false);
    // Where CI installs lavapipe (KVC_REQUIRE_WEBGPU=1), the only adapter is a software one.
    if (process.env.KVC_REQUIRE_WEBGPU === '1') {
      const choice = await initBackend('auto', { purpose: 'training' });
      expect(choice.backend).toBe('wasm');
      expect(choice.reason).toMatch(/software/);
    }
  });

  it('rejects an unknown backend name with the valid ones in the hint', async () => {
    await expect(initBackend('cuda' as never)).rejects.toMatchObject({
      code: 'E_BACKEND_UNKNOWN',
      hint: expect.stringContaining('webgpu'),
    });
  });

  it('a missing gradient kernel (wasm has no gather gradient) names the op and a backend that has it', async () => {
    await initBackend('wasm');
    const table = tf.variable(tf.ones([4, 3]));
    let err: unknown;
    try {
      withBackendErrors('embedding backward', () =>
        tf.variableGrads(() => tf.sum(tf.gather(table, tf.tensor1d([0, 2], 'int32'))), [table]),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({
      code: 'E_BACKEND_MISSING_KERNEL',
      context: { op: 'UnsortedSegmentSum', backend: 'wasm', availableOn: expect.arrayContaining(['cpu']) },
    });
    expect((err as BackendError).message).toMatch(/embedding backward/);
    table.dispose();
    await initBackend('cpu');
  });
});

describe('SeededRandom', () => {
  it('is deterministic per seed, resumable from its state, and in range', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = a.uniform(100, -2, 3);
    expect(Array.from(b.uniform(100, -2, 3))).toEqual(Array.from(xs));
    expect(xs.every((x) => x >= -2 && x < 3)).toBe(true);
    const c = SeededRandom.fromState(a.state);
    expect(c.next()).toBe(a.next());
    expect(new SeededRandom(43).next()).not.toBe(new SeededRandom(42).next());
  });

  it('kaiming-uniform(a=√5) stays within ±1/√fan_in and fills it', () => {
    const w = kaimingUniformA5(new SeededRandom(1), 50, 16);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.2);
  });
});
