/**
 * Motion tokens (opt-in, `features.motionTokens`): after a video's cached frame tokens
 * [frames·tokens, dim], append `tokens` more rows, per patch position the mean of the later half
 * of the frames minus the mean of the earlier half. A where-did-it-go summary the LM can read at
 * one position, instead of having to compare tokens many positions apart — which a tiny LM (the
 * demo's 2 layers) does not learn in minutes. Computed on load, so the feature cache is unchanged.
 */
import type { FeatureTensor } from '@kvc/train';
import type { RunConfig } from '../config/run-config.js';

/** `t` ([frames·tokens, dim]) with `tokens` motion rows appended ([(frames+1)·tokens, dim]). */
export function appendMotionTokens(t: FeatureTensor, frames: number): FeatureTensor {
  const [rows = 0, dim = 0] = t.shape;
  if (frames < 2 || rows % frames !== 0)
    throw new RangeError(
      `appendMotionTokens: ${rows} rows are not ${frames} frames (need at least 2) of equal token count`,
    );
  const tokens = rows / frames;
  const early = Math.floor(frames / 2);
  const late = frames - early;
  const out = new Float32Array((rows + tokens) * dim);
  out.set(t.data.subarray(0, rows * dim));
  for (let f = 0; f < frames; f++) {
    // Later half counts +1/late, earlier half −1/early (the middle frame of an odd count is later).
    const w = f < early ? -1 / early : 1 / late;
    for (let k = 0; k < tokens; k++) {
      const src = (f * tokens + k) * dim;
      const dst = (rows + k) * dim;
      for (let d = 0; d < dim; d++) out[dst + d]! += w * t.data[src + d]!;
    }
  }
  return { shape: [rows + tokens, dim], data: out };
}

/** What the run's config does to cached features before the projector (identity by default). */
export function featureView(config: RunConfig): (t: FeatureTensor) => FeatureTensor {
  return config.features.motionTokens ? (t) => appendMotionTokens(t, config.vision.frames) : (t) => t;
}
