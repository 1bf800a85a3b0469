/**
 * Captions from vision features: each sequence's prompt is [projector(features_b);
 * embed(prompt ids)], generated greedily in one batch as the seed's `generate(inputs_embeds=...)`
 * (repetition penalty counts generated tokens only, as HF does from embeddings).
 */
import * as tf from '@tensorflow/tfjs-core';
import { generateGreedy, type GenerateOptions, type GenerationResult } from '../generation/generate-greedy.js';
import type { VlmParts } from './vlm-loss.js';

/** The prompt embeddings [V + P_b, H] of each sequence (caller owns them). */
export function vlmPromptEmbeds(
  parts: VlmParts,
  visionFeatures: tf.Tensor3D,
  promptIds: readonly (readonly number[])[],
): tf.Tensor2D[] {
  const b = visionFeatures.shape[0];
  if (promptIds.length !== b)
    throw new RangeError(`vlmPromptEmbeds: ${b} feature rows but ${promptIds.length} prompts`);
  return promptIds.map((ids, i) =>
    tf.tidy(() => {
      const vis = tf.squeeze(parts.projector.apply(tf.slice(visionFeatures, [i, 0, 0], [1, -1, -1])), [
        0,
      ]) as tf.Tensor2D;
      if (!ids.length) return vis;
      const txt = tf.squeeze(parts.model.embed(tf.tensor2d([...ids], [1, ids.length], 'int32')), [0]) as tf.Tensor2D;
      return tf.concat([vis, txt], 0);
    }),
  );
}

/**
 * Greedy captions for a batch of vision features [B, V, Dv]. `promptIds` is one prompt for
 * all or one per sequence. Uses `parts.lora` unless `opts.lora` is given.
 */
export async function vlmGenerate(
  parts: VlmParts,
  visionFeatures: tf.Tensor3D,
  promptIds: readonly number[] | readonly (readonly number[])[],
  opts: GenerateOptions,
): Promise<GenerationResult[]> {
  const b = visionFeatures.shape[0];
  const perSeq =
    promptIds.length > 0 && Array.isArray(promptIds[0])
      ? (promptIds as readonly (readonly number[])[])
      : Array.from({ length: b }, () => promptIds as readonly number[]);
  const embeds = vlmPromptEmbeds(parts, visionFeatures, perSeq);
  try {
    const lora = opts.lora ?? parts.lora;
    return await generateGreedy(parts.model, embeds, { ...opts, ...(lora ? { lora } : {}) });
  } finally {
    tf.dispose(embeds);
  }
}
