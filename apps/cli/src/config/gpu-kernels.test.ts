import { afterAll, describe, expect, it } from 'vitest';
import {
  flashAttentionVariant,
  fusedAttentionDefault,
  fusedElementwiseDefault,
  initBackend,
  setFusedAttentionDefault,
  setFusedElementwiseDefault,
} from '@kvc/models';
import { webgpuForTests } from '@kvc/models/testing';
import { applyGpuKernels } from './gpu-kernels.js';
import { loadRunConfig } from './load-config.js';
import { initRunBackend } from './precision-flag.js';

const gpu = await webgpuForTests();
await initBackend('cpu');
afterAll(async () => {
  setFusedAttentionDefault(false);
  setFusedElementwiseDefault(true);
  await initBackend('cpu');
});

describe('kernels in the config', () => {
  it('defaults to the tfjs attention op and the fused elementwise kernels; overrides take the three choices', () => {
    expect(loadRunConfig({}).kernels).toEqual({ attention: 'tfjs', elementwise: 'fused' });
    expect(loadRunConfig({ preset: 'seed', overrides: ['kernels.attention=tensor-cores'] }).kernels.attention).toBe(
      'tensor-cores',
    );
    expect(() => loadRunConfig({ overrides: ['kernels.attention=flash'] })).toThrow(/kernels\.attention/);
    expect(() => loadRunConfig({ overrides: ['kernels.matmul=fused'] })).toThrow(/kernels\.matmul|matmul/);
  });

  it('changes nothing on cpu (the tfjs ops stay the f32 reference)', async () => {
    setFusedElementwiseDefault(true);
    expect(await applyGpuKernels({ attention: 'fused', elementwise: 'tfjs' }, 'cpu')).toEqual([]);
    expect(fusedAttentionDefault()).toBe(false);
    expect(fusedElementwiseDefault()).toBe(true);
  });

  it.skipIf(!gpu)(
    'on webgpu: switches the kernels; tensor-cores without subgroup matrices keeps the tfjs op with a warning',
    async () => {
      const choice = await initRunBackend(
        { backend: 'webgpu', precision: 'f32', kernels: { attention: 'fused', elementwise: 'tfjs' } },
        'inference',
      );
      expect(choice.backend).toBe('webgpu');
      expect(fusedAttentionDefault()).toBe(true);
      expect(fusedElementwiseDefault()).toBe(false);
      expect(flashAttentionVariant()).toBe('portable');
      const warnings = await applyGpuKernels({ attention: 'tensor-cores', elementwise: 'fused' }, 'webgpu');
      expect(fusedElementwiseDefault()).toBe(true);
      // lavapipe has no subgroup matrices; a GPU that has them passes the self-test or says why not.
      if (flashAttentionVariant() === 'subgroup-matrix') {
        expect(fusedAttentionDefault()).toBe(true);
      } else {
        expect(fusedAttentionDefault()).toBe(false);
        expect(warnings.at(-1)).toMatch(/attention runs on the tfjs op/);
      }
      expect(await applyGpuKernels({ attention: 'tfjs', elementwise: 'fused' }, 'webgpu')).toEqual([]);
      expect(fusedAttentionDefault()).toBe(false);
    },
  );
});
