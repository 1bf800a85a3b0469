import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import type { Quantization } from './quantization.js';
import { checkQuantization } from './quantization.js';

afterAll(async () => {
  await initBackend('cpu');
});

describe('checkQuantization', () => {
  it('accepts none anywhere and nf4 where integer bit ops exist; names an unknown value', async () => {
    for (const b of ['cpu', 'wasm'] as const) {
      await initBackend(b);
      expect(() => checkQuantization('nf4')).not.toThrow();
      expect(() => checkQuantization('none')).not.toThrow();
    }
    expect(() => checkQuantization('int8' as Quantization)).toThrow(
      expect.objectContaining({ code: 'E_QUANTIZATION', hint: 'use none or nf4' }),
    );
  });

  it('refuses nf4 on webgpu (tfjs-webgpu computes in f32 and cannot unpack 32-bit words) with a hint', async () => {
    if (!(await webgpuForTests())) return;
    expect(() => checkQuantization('nf4')).toThrow(expect.objectContaining({ code: 'E_NF4_BACKEND' }));
    expect(() => checkQuantization('none')).not.toThrow();
  });
});
