/**
 * Tolerances of the train-trajectory case run in precision f16 against its f32 references
 * (docs/precision.md, "The f16 training trajectory"). With ρ the normwise error of one f16 GEMM
 * (2u + u², u = 2⁻¹⁰) and D the f16 roundings from the input to the logits (4 GEMMs per decoder
 * layer, the output head, the f16 embedding table: 4L + 2), to first order:
 *   - a micro-batch loss moves by at most 2·max|δlogit| ≤ 2·D·ρ·max|logits| (cross-entropy's
 *     gradient p − y has ℓ1 norm ≤ 2);
 *   - a gradient comes back through the same D roundings: relative error ≤ 2·D·ρ, so does the
 *     pre-clip norm (clipping rescales both sides alike);
 *   - an AdamW update lr·m̂/(√v̂ + ε) has relative error ≤ 2Dρ (m̂) + Dρ (√v̂) = 3Dρ, and each of its
 *     components is at most lr in size (|m̂| ≤ √v̂ when β1² ≤ β2), so after the updates of the case a
 *     tensor θ of n elements is off by at most 3Dρ·√n·Σ lr, relative to ‖θ‖ that is the bound.
 * Each adds to the case's f32 tolerance. Compounding (an earlier step's error changing a later
 * gradient) is second order at these learning rates and left out; the LRs stay exact (no step of
 * the case is skipped, so the schedule is the reference's).
 */
import * as tf from '@tensorflow/tfjs-core';
import { vlmLogits } from '@kvc/models';
import { F16_GEMM_REL } from '@kvc/models/parity';
import type { TrainBatch } from '../batching/batch-source.js';
import { disposeVlmBatch, toVlmBatch } from './to-vlm-batch.js';
import type { TrainParts } from './trainer-types.js';
import { TRAJECTORY_TOLERANCES } from './trajectory-tolerances.js';

export interface F16TrajectoryTolerances {
  readonly loss: number;
  readonly normRel: number;
  readonly lrRel: number;
  /** rel-norm tolerance of a tensor of `size` elements and L2 norm `norm` after updates summing `lrSum`. */
  paramsRel(size: number, norm: number, lrSum: number): number;
}

export function f16TrajectoryTolerances(numHiddenLayers: number, maxAbsLogit: number): F16TrajectoryTolerances {
  const d = 4 * numHiddenLayers + 2;
  const t = TRAJECTORY_TOLERANCES;
  return {
    loss: t.loss + 2 * d * F16_GEMM_REL * maxAbsLogit,
    normRel: t.normRel + 2 * d * F16_GEMM_REL,
    lrRel: t.lrRel,
    paramsRel: (size, norm, lrSum) => t.paramsRel + (3 * d * F16_GEMM_REL * Math.sqrt(size) * lrSum) / norm,
  };
}

/** max |logits| of the untrained model on one micro-batch: the scale of the f16 loss tolerance. */
export async function maxAbsLogit(parts: TrainParts, batch: TrainBatch): Promise<number> {
  const vb = toVlmBatch(batch);
  try {
    const m = tf.tidy(() => tf.max(tf.abs(vlmLogits(parts, vb))));
    const v = (await m.data())[0]!;
    m.dispose();
    return v;
  } finally {
    disposeVlmBatch(vb);
  }
}
