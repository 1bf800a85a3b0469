/**
 * SwiGLU's two projections and the gate: silu(x·Gᵀ)·(x·Uᵀ), each projection with its LoRA branch. At inference on
 * a decoding step's few rows with f16 or NF4 weights that is one dispatch (gpu/f16-gemv.ts f16GatedGemv: the same values
 * as the two GEMVs and the SwiGLU kernel, bit for bit), where it was three, and from 4 rows one more for both
 * LoRA branches' x·Aᵀ (shared-low-rank.ts); otherwise `linear` twice and `swiGlu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import { f16GatedGemv, gatedGemvTakes, isGemvWeight, type GemvWeight } from '../gpu/f16-gemv.js';
import { linear, type AnyLinearWeights, type LoraPair } from './linear.js';
import { swiGlu } from './swiglu.js';
import { withSharedLowRank } from './shared-low-rank.js';

export function swiGluLinear(
  x: tf.Tensor,
  gate: AnyLinearWeights,
  up: AnyLinearWeights,
  lora: { readonly gate?: LoraPair; readonly up?: LoraPair } = {},
  dropoutSeeds: { readonly gate?: number; readonly up?: number } = {},
): tf.Tensor {
  const inDim = x.shape[x.rank - 1]!;
  const fused =
    dropoutSeeds.gate === undefined &&
    dropoutSeeds.up === undefined &&
    !tapeRecording() &&
    !gate.bias &&
    !up.bias &&
    isGemvWeight(gate.weight) &&
    isGemvWeight(up.weight);
  if (fused) {
    const [g, u] = [gate.weight as GemvWeight, up.weight as GemvWeight];
    const y = tf.tidy(() => {
      const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
      if (!gatedGemvTakes(x2, g, u, lora.gate, lora.up)) return undefined;
      // Both branches' x·Aᵀ in one dispatch where that pays (shared-low-rank.ts).
      const [lg, lu] = withSharedLowRank(x2, [gate, up], [lora.gate, lora.up]);
      return tf.reshape(f16GatedGemv(x2, g, u, lg, lu), [...x.shape.slice(0, -1), g.rows]);
    });
    if (y) return y;
  }
  return swiGlu(linear(x, gate, lora.gate, dropoutSeeds.gate), linear(x, up, lora.up, dropoutSeeds.up));
}
