/**
 * Frames of many videos → CLIP features, in fixed-size batches so memory stays bounded:
 * preprocess each chunk (pure TS), run the tower, keep hidden_states[k] (default the last
 * layer's output before post_layernorm: what the seed caches; LLaVA-style projectors use -2),
 * optionally drop the CLS token. Returns one [N, T, H] tensor the caller owns.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from '../errors.js';
import type { ImageProcessor, RgbFrame } from '../processors/image-processor.js';
import { pixelBatchToTensor } from '../processors/pixel-batch-tensor.js';
import type { ClipVisionModel } from './clip-vision-model.js';

export interface EncodeFramesOptions {
  /** hidden_states index (negative from the end). Default -1 = last_hidden_state. */
  readonly hiddenState?: number;
  /** Drop the CLS token (position 0). Default false, as HF returns it. */
  readonly dropCls?: boolean;
  /** Frames a forward pass. Default 16. */
  readonly batchSize?: number;
}

export function encodeFrames(
  model: ClipVisionModel,
  processor: ImageProcessor,
  frames: readonly RgbFrame[],
  opts: EncodeFramesOptions = {},
): tf.Tensor3D {
  const bs = opts.batchSize ?? 16;
  if (!Number.isInteger(bs) || bs <= 0)
    throw new ModelsError('E_OPTIONS', `batchSize must be a positive integer, got ${bs}`, { batchSize: bs });
  if (frames.length === 0) throw new ModelsError('E_INPUT_EMPTY', 'no frames to encode', {});
  const parts: tf.Tensor3D[] = [];
  try {
    for (let i = 0; i < frames.length; i += bs) {
      const px = pixelBatchToTensor(processor.preprocess(frames.slice(i, i + bs)));
      try {
        const h = model.hiddenState(px, opts.hiddenState ?? -1);
        if (opts.dropCls) {
          parts.push(tf.slice(h, [0, 1, 0], [-1, -1, -1]));
          h.dispose();
        } else parts.push(h);
      } finally {
        px.dispose();
      }
    }
    return parts.length === 1 ? parts.pop()! : tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}
