/**
 * Captions of a batch of videos from their feature rows (each [tokens, dim], as the projector
 * sees them): stacked into one batch and generated greedily with the run's settings, each
 * sequence stopping at its own EOS. Shared by split evaluation (cached features) and
 * `kvc caption` (features encoded on the fly), so both generate exactly alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { vlmGenerate, type GenerationResult } from '@kvc/models';
import type { FeatureTensor } from '@kvc/train';
import type { RunConfig } from '../config/run-config.js';
import type { RunModels } from './run-models.js';

export async function captionFeatures(
  models: RunModels,
  config: RunConfig,
  rows: readonly FeatureTensor[],
  promptIds: readonly number[],
): Promise<GenerationResult[]> {
  const [v = 0, d = 0] = rows[0]?.shape ?? [];
  if (rows.some((r) => r.shape[0] !== v || r.shape[1] !== d))
    throw new RangeError(`captionFeatures: feature rows differ in shape (first [${v}, ${d}])`);
  const data = new Float32Array(rows.length * v * d);
  rows.forEach((r, k) => data.set(r.data, k * v * d));
  const x = tf.tensor3d(data, [rows.length, v, d]);
  try {
    return await vlmGenerate(models, x, promptIds, {
      maxNewTokens: config.generation.maxNewTokens,
      eosTokenId: models.eosId,
      repetitionPenalty: config.generation.repetitionPenalty,
      tokenizer: models.tokenizer,
      ...(config.generation.kvCache === 'auto' ? {} : { kvCache: config.generation.kvCache }),
    });
  } finally {
    x.dispose();
  }
}
