/**
 * The config's `kernels` section applied to the backend a run chose (from initRunBackend, the one
 * place): on webgpu it switches the fused attention and elementwise kernels on or off and runs the
 * chosen attention kernels' start-up self-test; elsewhere it changes nothing
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

/**
 * Applies `kernels` for `backend`; returns warnings (a self-test that failed and what runs
 * instead). `tensor-cores` without working subgroup matrices keeps the tfjs op, not the portable
 * fused kernels: on the H100 those were slower than the tfjs op (seed-shape forward 669 vs 96 ms,
 * bench/results/2026-11-27-flash-attn-h100.md).
 */
export async function applyGpuKernels(kernels: RunConfig['kernels'], backend: BackendName): Promise<string[]> {
  if (backend !== 'webgpu') return [];
  setFusedElementwiseDefault(kernels.elementwise === 'fused');
  if (kernels.attention !== 'tensor-cores') {
    if (kernels.attention === 'fused') await selectFlashAttentionVariant(['portable']);
    setFusedAttentionDefault(kernels.attention === 'fused');
    return [];
  }
  if (!tensorCoreFlashCandidates().includes('subgroup-matrix')) {
    setFusedAttentionDefault(false);
    return ['kernels.attention: tensor-cores: this GPU has no subgroup matrices; attention runs on the tfjs op'];
  }
  const sel = await selectFlashAttentionVariant(['subgroup-matrix']);
  const on = sel.variant === 'subgroup-matrix';
  setFusedAttentionDefault(on);
  return on ? sel.warnings : [...sel.warnings, 'kernels.attention: tensor-cores: attention runs on the tfjs op'];
}
