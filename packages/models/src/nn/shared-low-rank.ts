/**
 * The LoRA pairs of linear layers that read the same x (attention's q, k and v; SwiGLU's gate and up), with their
 * low-rank values x·Aᵀ computed once for all of them, in one dispatch, where a decoding step's GEMVs take them
 * (gpu/low-rank-down.ts): at inference (no tape, no dropout), f16 or NF4 weights without bias, a pair on each, two or more
 * layers, and a batch of SHARED_LOW_RANK_MIN_ROWS to GEMV_MAX_ROWS rows. The GEMV otherwise computes them in each
 * of its workgroups (128–384 a product): on the H200 that was ~3 ms of a batch-8 step's 10 (merged LoRA against
 * unmerged), and sharing them for q/k/v and gate/up took the step to 9.0 ms and 128 new tokens at B8 from 2.76 to
 * 2.63 s (bench/results/2026-11-29-gen-h200-session15.md). The values are the GEMV's own, bit for bit.
 * A layer alone (o, down) keeps the GEMV's own: one dispatch of x·Aᵀ each took the step's GPU time 0.4 ms lower
 * but added 56 dispatches, and the host, which records them, became the bound (B8: 2.69 s).
 * Below SHARED_LOW_RANK_MIN_ROWS the pairs come back as they are: a batch-1 step is bound by the host issuing its
 * dispatches, and the GPU's saving there (~1.2 ms a step) is smaller than one more dispatch a group costs the host.
 * Large products are the exception (SHARED_LOW_RANK_LARGE_BYTES): there the re-reads cost the GPU more than the
 * dispatch costs the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import { GEMV_MAX_ROWS } from '../gpu/f16-gemv-wgsl.js';
import { gemvTakes, gemvTiling, isGemvWeight } from '../gpu/f16-gemv.js';
import { lowRankDown, lowRankDownTakes } from '../gpu/low-rank-down.js';
import { linearOutDim, type AnyLinearWeights, type LoraPair } from './linear.js';

export const SHARED_LOW_RANK_MIN_ROWS = 4;

/**
 * From this many bytes of A re-read by the GEMVs' workgroups (recomputedBytes) the values are shared at any batch
 * size, for one layer too: Qwen3-8B's every product (o: 134 MB, down: 403 MB; NF4 weights, whose own bytes are a
 * quarter of f16's), none of Qwen3-0.6B's (gate and up together: 50 MB), whose steps stay as measured above.
 */
export const SHARED_LOW_RANK_LARGE_BYTES = 64 * 2 ** 20;

/** Bytes of A the GEMVs' workgroups read computing the low-rank values themselves: each workgroup all of its A. */
function recomputedBytes(x2: tf.Tensor2D, weights: readonly AnyLinearWeights[], pairs: readonly LoraPair[]): number {
  const features = tf.getBackend() === 'webgpu' ? gemvTiling().features : 16;
  return weights.reduce(
    (sum, w, i) => sum + Math.ceil(linearOutDim(w) / features) * x2.shape[1] * pairs[i]!.a.shape[0] * 4,
    0,
  );
}

/** A LoRA pair, with x·Aᵀ [M, r] when it was computed for the group (f16Gemv takes it). */
export type LoraWithLow = LoraPair & { readonly low?: tf.Tensor2D };

/**
 * `loras` for layers `weights` reading x2 [M, in], each with its low-rank values where the GEMVs take them (one
 * dispatch for the group), else unchanged. The values belong to the caller's tidy scope.
 */
export function withSharedLowRank(
  x2: tf.Tensor2D,
  weights: readonly AnyLinearWeights[],
  loras: readonly (LoraPair | undefined)[],
  dropoutSeeds: readonly (number | undefined)[] = [],
): (LoraWithLow | undefined)[] {
  const m = x2.shape[0];
  const pairs = loras.filter((l): l is LoraPair => l !== undefined);
  const shared =
    m <= GEMV_MAX_ROWS &&
    pairs.length === loras.length &&
    pairs.length > 0 &&
    ((m >= SHARED_LOW_RANK_MIN_ROWS && pairs.length > 1) ||
      recomputedBytes(x2, weights, pairs) >= SHARED_LOW_RANK_LARGE_BYTES) &&
    dropoutSeeds.every((s) => s === undefined) &&
    !tapeRecording() &&
    weights.every((w) => isGemvWeight(w.weight) && !w.bias && gemvTakes(x2, w.weight)) &&
    lowRankDownTakes(
      x2,
      pairs.map((l) => l.a),
    );
  if (!shared) return [...loras];
  const lows = lowRankDown(
    x2,
    pairs.map((l) => l.a),
  );
  return pairs.map((l, i) => ({ ...l, low: lows[i]! }));
}
