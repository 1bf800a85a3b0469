import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { flashAttentionVariant, setFusedAttentionDefault } from '../gpu/flash-attention.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { KvCache } from '../nn/kv-cache.js';
import { modelParityRunners, type ModelParityKind } from './model-parity-runners.js';
import { formatParityReport } from './parity-report.js';

const REF = fileURLToPath(new URL('../../../../test/fixtures/reference/', import.meta.url));
const CASES: [string, ModelParityKind][] = [
  ['qwen3', 'qwen3-vlm'],
  ['clip', 'clip-vision'],
  ['siglip', 'siglip'],
  ['bert', 'bert'],
];

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

describe.skipIf(!gpu)('parity cases in precision f16 (webgpu) against their f32 references', () => {
  for (const [folder, kind] of CASES) {
    it(`${kind}: every check within its derived f16 tolerance`, async () => {
      const r = await modelParityRunners[kind](`${REF}${folder}`, { backend: 'webgpu', precision: 'f16' });
      console.log(formatParityReport(r));
      expect(r.pass, formatParityReport(r)).toBe(true);
      expect(tf.getBackend()).toBe('webgpu');
    }, 300_000);
  }

  // With the fused attention on, generation keeps the KV cache as f16 rows (nn/kv-cache.ts): a decoding step's
  // attention reads the rounded keys and values. The generated ids must stay exact.
  it('qwen3-vlm with the fused attention: the KV cache in f16, every check within tolerance, ids exact', async () => {
    setFusedAttentionDefault(true);
    const made = vi.spyOn(KvCache, 'forModel');
    try {
      const r = await modelParityRunners['qwen3-vlm'](`${REF}qwen3`, { backend: 'webgpu', precision: 'f16' });
      expect(flashAttentionVariant()).toBeDefined();
      expect(made.mock.calls.length).toBeGreaterThan(0);
      expect(made.mock.calls.every((c) => c[3] === true)).toBe(true);
      expect(r.checks.find((c) => c.name === 'generated_ids')?.pass).toBe(true);
      expect(r.pass, formatParityReport(r)).toBe(true);
    } finally {
      made.mockRestore();
      setFusedAttentionDefault(false);
    }
  }, 300_000);
});

describe('precision f16 off webgpu', () => {
  it('is refused on cpu with a hint, before any weight is read', async () => {
    await initBackend('cpu');
    await expect(modelParityRunners['clip-vision'](`${REF}clip`, { precision: 'f16' })).rejects.toMatchObject({
      code: 'E_PRECISION_BACKEND',
      hint: expect.stringContaining('webgpu'),
    });
  });
});
