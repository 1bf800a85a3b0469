/**
 * A VLM batch and the seed's `forward_with_cache` input assembly: inputs_embeds =
 * [projector(vision_features); embed(input_ids)], attention_mask = [1 × V; attention_mask],
 * labels = [-100 × V; labels].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Projector } from '../projector/projector.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';

export const IGNORE_INDEX = -100;

export interface VlmBatch {
  /** [B, V, Dv] cached vision features. */
  readonly visionFeatures: tf.Tensor3D;
  /** [B, T] int32 prompt + caption ids (right padded). */
  readonly inputIds: tf.Tensor2D;
  /** [B, T] 1 = token, 0 = pad. */
  readonly attentionMask: tf.Tensor2D;
  /** [B, T] targets, -100 where not trained (prompt, pads); row-major, host memory. */
  readonly labels?: Int32Array;
}

/** inputs_embeds [B, V+T, H] and attention mask [B, V+T]. */
export function vlmInputs(
  model: Qwen3ForCausalLM<LinearWeight>,
  projector: Projector,
  batch: VlmBatch,
): { inputsEmbeds: tf.Tensor3D; attentionMask: tf.Tensor2D } {
  return tf.tidy(() => {
    const [b, nv] = batch.visionFeatures.shape;
    const vis = projector.apply(batch.visionFeatures);
    const inputsEmbeds = tf.concat([vis, model.embed(batch.inputIds)], 1) as tf.Tensor3D;
    const attentionMask = tf.concat([tf.ones([b, nv]), tf.cast(batch.attentionMask, 'float32')], 1) as tf.Tensor2D;
    return { inputsEmbeds, attentionMask };
  });
}

/**
 * The rows of the flattened [B·L] hidden states that predict a label, as contiguous runs
 * [start, length] (slices have gradients on every backend; gather does not on wasm), and
 * the target id of each selected row. L = V + T; row i predicts full label i + 1.
 */
export function targetRuns(
  labels: Int32Array,
  batchSize: number,
  textLen: number,
  visionTokens: number,
): { runs: [number, number][]; targets: Int32Array } {
  const len = visionTokens + textLen;
  const runs: [number, number][] = [];
  const targets: number[] = [];
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < len - 1; i++) {
      const j = i + 1 - visionTokens; // index of the next token's label in the text labels
      const y = j >= 0 ? labels[b * textLen + j]! : IGNORE_INDEX;
      if (y === IGNORE_INDEX) continue;
      const row = b * len + i;
      const last = runs[runs.length - 1];
      if (last && last[0] + last[1] === row) last[1]++;
      else runs.push([row, 1]);
      targets.push(y);
    }
  }
  return { runs, targets: Int32Array.from(targets) };
}
