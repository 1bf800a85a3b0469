import { describe, expect, it } from 'vitest';
import { recordDeviceError, throwIfDeviceError, watchDeviceErrors } from './device-errors.js';

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
    expect(oom('generation')).not.toMatch(/gradientCheckpointing/);
    expect(oom('generation')).toMatch(/batch.*new tokens.*backend/);
    expect(oom('inference')).not.toMatch(/gradientCheckpointing/);
  });
});
