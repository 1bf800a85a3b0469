/**
 * The fused attention's start-up self-test (through selectKernelVariant, like the GEMM's): a tiny
 * awkward case (odd T, GQA 2:1, causal with right padding) run by
 * the fused kernels and by the tfjs op on the same backend, output and all three gradients within
 * the derived bound (flash-attention-tolerance.ts; attention-gemm-tolerance.ts for the tensor-core
 * kernels, whose products take f16 operands). A failure falls back to the next candidate, and a
 * failure of all leaves `attention` on the tfjs op.
 */
import * as tf from '@tensorflow/tfjs-core';
import { causalAttentionBias, paddingAttentionBias } from '../nn/attention-bias.js';
import { attention } from '../nn/attention.js';
import { attentionGemmBounds } from './attention-gemm-tolerance.js';
import { flashAttention, setFlashAttentionVariant, type FlashAttentionVariant } from './flash-attention.js';
import { flashAttentionBounds, worstBoundRatio } from './flash-attention-tolerance.js';
import { FLASH_KERNEL_SETS } from './flash-kernel-set.js';
import { selectKernelVariant } from './select-gemm-variant.js';
import { webgpuBackend } from './webgpu-internals.js';

type T4 = tf.Tensor4D;
const valueAndGrads = (f: (q: T4, k: T4, v: T4) => T4, dy: T4) =>
  tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a as T4, b as T4, c as T4), dy)));

async function worstRatio(variant: FlashAttentionVariant): Promise<number> {
  const [b, nh, nkv, t, d] = [2, 4, 2, 19, 16];
  // A start-up self-test on 2.4k values: drawing them on the host costs nothing here.
  /* eslint-disable no-restricted-properties */
  const q = tf.randomUniform([b, nh, t, d], -2, 2, 'float32', 1) as T4;
  const k = tf.randomUniform([b, nkv, t, d], -2, 2, 'float32', 2) as T4;
  const v = tf.randomUniform([b, nkv, t, d], -1, 1, 'float32', 3) as T4;
  const dy = tf.randomUniform([b, nh, t, d], -1, 1, 'float32', 4) as T4;
  /* eslint-enable no-restricted-properties */
  // Right pads: no row sees nothing (tfjs-webgpu's own softmax is not the reference for those rows).
  const mask = tf.tensor2d([...Array<number>(t).fill(1), ...Array<number>(t - 3).fill(1), 0, 0, 0], [b, t]);
  const keys = paddingAttentionBias(mask);
  const full = causalAttentionBias(mask, t);
  const results = tf.tidy(() => {
    const ref = (x: T4, y: T4, z: T4) => attention(x, y, z, { bias: keys, causal: true, fused: false });
    const kernels = FLASH_KERNEL_SETS[variant];
    const fused = (x: T4, y: T4, z: T4) => flashAttention(x, y, z, { bias: keys, causal: true, kernels });
    const bounds = variant === 'portable' ? flashAttentionBounds : attentionGemmBounds;
    const r = valueAndGrads(ref, dy)([q, k, v]);
    const f = valueAndGrads(fused, dy)([q, k, v]);
    return [ref(q, k, v), ...r.grads, fused(q, k, v), ...f.grads, ...bounds({ q, k, v, dy, bias: full })];
  });
  const data = await Promise.all(results.map((x) => x.data()));
  tf.dispose([q, k, v, dy, mask, keys, full, ...results]);
  let worst = 0;
  for (let i = 0; i < 4; i++) worst = Math.max(worst, worstBoundRatio(data[4 + i]!, data[i]!, data[8 + i]!));
  return worst;
}

/**
 * Chooses the fused attention's variant; warnings name failures. By default only the portable
 * kernels are tried (`fused` attention: f32 throughout). The tensor-core ones change the products'
 * precision to f16, so they run only when asked (`kernels.attention: tensor-cores`, the seed preset;
 * checked on an H200, bench/results/2026-11-28-tensor-core-attention-h200.md):
 * `tensorCoreFlashCandidates()` tries them first where the device has subgroup matrices.
 */
export async function selectFlashAttentionVariant(
  candidates: readonly FlashAttentionVariant[] = ['portable'],
): Promise<{ variant: FlashAttentionVariant | undefined; warnings: string[] }> {
  const sel = await selectKernelVariant('fused attention', candidates, worstRatio);
  setFlashAttentionVariant(sel.variant);
  return sel;
}

/** The tensor-core kernels first where the device has subgroup matrices, then the portable ones. */
export const tensorCoreFlashCandidates = (): FlashAttentionVariant[] =>
  webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix')
    ? ['subgroup-matrix', 'portable']
    : ['portable'];
