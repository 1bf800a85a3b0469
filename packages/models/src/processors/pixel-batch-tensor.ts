/** A processed pixel batch as the tfjs tensor [N, C, H, W] the vision towers take (caller disposes). */
import * as tf from '@tensorflow/tfjs-core';
import type { PixelBatch } from './image-processor.js';

export function pixelBatchToTensor(batch: PixelBatch): tf.Tensor4D {
  return tf.tensor4d(batch.data, [...batch.shape]);
}
