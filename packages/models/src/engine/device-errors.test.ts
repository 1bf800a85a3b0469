import { describe, expect, it } from 'vitest';
import { markDevicePhase, recordDeviceError, throwIfDeviceError, watchDeviceErrors } from './device-errors.js';

describe('device errors', () => {
  it('turns a reported GPU error into one thrown BackendError, with an out-of-memory hint', () => {
    expect(() => throwIfDeviceError('nothing')).not.toThrow();
    let handler: ((ev: { error?: { message?: string } }) => void) | undefined;
    watchDeviceErrors({ addEventListener: (_t, h) => (handler = h) });
    handler!({ error: { message: 'vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY' } });
    handler!({ error: { message: 'a later error' } });
    expect(() => throwIfDeviceError('a training step')).toThrow(
      expect.objectContaining({ code: 'E_GPU_OUT_OF_MEMORY', hint: expect.stringMatching(/batch size/) }),
    );
    expect(() => throwIfDeviceError('again')).not.toThrow();
    recordDeviceError('Invalid buffer');
    expect(() => throwIfDeviceError('x')).toThrow(expect.objectContaining({ code: 'E_GPU_ERROR' }));
  });

  it('gives out-of-memory hints that fit the phase: no gradient checkpointing during generation', () => {
    const oom = (phase?: 'training' | 'generation' | 'inference') => {
      recordDeviceError('VK_ERROR_OUT_OF_DEVICE_MEMORY');
      try {
        throwIfDeviceError('a step', phase);
      } catch (err) {
        return (err as { hint: string }).hint;
      }
      throw new Error('expected a BackendError');
    };
    expect(oom()).toMatch(/gradientCheckpointing/);
    expect(oom()).toMatch(/gpuPoolGiB/);
    expect(oom('generation')).not.toMatch(/gradientCheckpointing/);
    expect(oom('generation')).toMatch(/batch.*new tokens.*backend/);
    expect(oom('inference')).not.toMatch(/gradientCheckpointing/);
  });

  it('a check with no phase gets the hint of what was marked running when the error arrived', () => {
    const hintOf = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return (err as { hint: string }).hint;
      }
      throw new Error('expected a BackendError');
    };
    const restore = markDevicePhase('generation');
    recordDeviceError('vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY');
    restore();
    // The generation benchmark's own check after generateGreedy (kvc issue #14) passed no phase.
    const hint = hintOf(() => throwIfDeviceError('generation'));
    expect(hint).not.toMatch(/[Cc]heckpointing/);
    expect(hint).toMatch(/new tokens/);
    recordDeviceError('VK_ERROR_OUT_OF_DEVICE_MEMORY'); // nothing marked now: training's hint
    expect(hintOf(() => throwIfDeviceError('a step'))).toMatch(/gradientCheckpointing/);
  });
});
