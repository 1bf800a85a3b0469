/**
 * The config's `kernels` section applied to the backend a run chose (from initRunBackend, the one
 * place): on webgpu it switches the fused attention and elementwise kernels on or off and, for
 * `attention: tensor-cores`, runs the tensor-core kernels' self-test; elsewhere it changes nothing
 * (cpu and wasm keep their tfjs ops, the f32 reference).
 */
import {
  selectFlashAttentionVariant,
  setFusedAttentionDefault,
  setFusedElementwiseDefault,
  tensorCoreFlashCandidates,
  type BackendName,
} from '@kvc/models';
import type { RunConfig } from './run-config.js';

/** Applies `kernels` for `backend`; returns warnings (a self-test that failed and what runs instead). */
export async function applyGpuKernels(kernels: RunConfig['kernels'], backend: BackendName): Promise<string[]> {
  if (backend !== 'webgpu') return [];
  setFusedElementwiseDefault(kernels.elementwise === 'fused');
  const warnings: string[] = [];
  if (kernels.attention === 'tensor-cores') {
    const offered = tensorCoreFlashCandidates();
    if (!offered.includes('subgroup-matrix')) {
      warnings.push('kernels.attention: tensor-cores: this GPU has no subgroup matrices; the fused f32 kernels run');
    }
    warnings.push(...(await selectFlashAttentionVariant(offered)).warnings);
  }
  setFusedAttentionDefault(kernels.attention !== 'tfjs');
  return warnings;
}
