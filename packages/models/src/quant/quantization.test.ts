import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { nf4GemmVariant, setNf4GemmVariant } from '../gpu/nf4-gemm.js';
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

  it('takes nf4 on webgpu once an NF4 GEMM variant passed its self-test, and refuses it with a hint when none did', async () => {
    if (!(await webgpuForTests())) return;
    const chosen = nf4GemmVariant();
    expect(chosen).toBeDefined(); // lavapipe: the portable kernel
    expect(() => checkQuantization('nf4')).not.toThrow();
    setNf4GemmVariant(undefined);
    try {
      expect(() => checkQuantization('nf4')).toThrow(expect.objectContaining({ code: 'E_NF4_BACKEND' }));
      expect(() => checkQuantization('none')).not.toThrow();
    } finally {
      setNf4GemmVariant(chosen);
    }
  });
});
