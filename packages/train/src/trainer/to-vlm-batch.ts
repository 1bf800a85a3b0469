/** A host-memory training batch as the tensors the VLM loss takes (the caller disposes them). */
import * as tf from '@tensorflow/tfjs-core';
import type { VlmBatch } from '@kvc/models';
import type { TrainBatch } from '../batching/batch-source.js';

export function toVlmBatch(b: TrainBatch): VlmBatch {
  const [n, v, d] = b.vision.shape as [number, number, number];
  return {
    visionFeatures: tf.tensor3d(b.vision.data, [n, v, d], 'float32'),
    inputIds: tf.tensor2d(b.inputIds, [b.batchSize, b.seqLength], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, [b.batchSize, b.seqLength], 'int32'),
    labels: b.labels,
  };
}

export function disposeVlmBatch(b: VlmBatch): void {
  tf.dispose([b.visionFeatures, b.inputIds, b.attentionMask]);
}

/** Tokens the model processes for a batch: vision tokens plus unpadded text tokens. */
export function batchTokens(b: TrainBatch): number {
  let text = 0;
  for (let i = 0; i < b.attentionMask.length; i++) text += b.attentionMask[i]!;
  return text + b.batchSize * (b.vision.shape[1] ?? 0);
}
