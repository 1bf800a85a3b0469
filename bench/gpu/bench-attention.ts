/**
 * The attention kernels a GPU bench runs, from KVC_BENCH_FUSED (after initBackend):
 *   unset         the tfjs op (the default of `kernels.attention: auto`);
 *   1             the fused kernels, the variant initBackend's self-test selected (portable by default);
 *   tensor-cores  first select the tensor-core kernels where the device has subgroup matrices (the seed
 *                 preset's `kernels.attention`), as apps/cli's applyGpuKernels does.
 * Returns the line each bench prints, so its log says what ran.
 */
import {
  fusedAttentionDefault,
  flashAttentionVariant,
  setFusedAttentionDefault,
  setFusedElementwiseDefault,
} from '@kvc/models';
import {
  selectFlashAttentionVariant,
  tensorCoreFlashCandidates,
} from '../../packages/models/src/gpu/flash-attention-select.js';

export async function applyBenchAttention(): Promise<string> {
  const mode = process.env.KVC_BENCH_FUSED;
  if (mode) setFusedAttentionDefault(true);
  if (mode === 'tensor-cores') {
    const sel = await selectFlashAttentionVariant(tensorCoreFlashCandidates());
    sel.warnings.forEach((w) => console.warn(w));
  }
  return `fused attention variant ${flashAttentionVariant() ?? 'none'} (${fusedAttentionDefault() ? 'on' : 'off'})`;
}

/**
 * Every fused kernel on, attention on the best variant the device offers (tensor cores where it has subgroup
 * matrices): what the dispatch counts (step-dispatches, decode-dispatches) count. Returns the line to print.
 */
export async function fuseEverything(): Promise<string> {
  setFusedElementwiseDefault(true);
  setFusedAttentionDefault(true);
  const sel = await selectFlashAttentionVariant(tensorCoreFlashCandidates());
  return `fused attention ${sel.variant ?? 'none (tfjs op)'}`;
}
