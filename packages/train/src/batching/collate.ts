/**
 * Pads a list of examples into one right-padded batch. Padding is recorded in the attention mask
 * and labels are -100 on pads *by position*, never by comparing ids with the pad id (Qwen3's pad
 * id differs from EOS, but a tokenizer whose pad equals EOS would otherwise lose every EOS label).
 */
import { IGNORE_INDEX, type TrainingExample } from './build-example.js';

export interface TextBatch {
  readonly batchSize: number;
  readonly seqLength: number;
  /** [batchSize * seqLength], row-major. */
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly labels: Int32Array;
}

export function collate(examples: readonly TrainingExample[], padId: number): TextBatch {
  if (examples.length === 0) throw new RangeError('collate: empty batch');
  const T = Math.max(...examples.map((e) => e.inputIds.length));
  const B = examples.length;
  const inputIds = new Int32Array(B * T).fill(padId);
  const attentionMask = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(IGNORE_INDEX);
  examples.forEach((e, b) => {
    e.inputIds.forEach((id, t) => {
      inputIds[b * T + t] = id;
      attentionMask[b * T + t] = 1;
      labels[b * T + t] = e.labels[t]!;
    });
  });
  return { batchSize: B, seqLength: T, inputIds, attentionMask, labels };
}
