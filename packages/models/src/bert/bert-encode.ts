/**
 * BERT text encoding: WordPiece ids + attention mask (transformers.js, cased as
 * bert-base-multilingual-cased), and the hidden state of one layer for a batch of texts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EncodedBatch, EncoderTokenizer } from '../processors/encoder-tokenizer.js';
import type { BertModel } from './bert-model.js';

/** Ids with [CLS]/[SEP], padded to the batch's longest, truncated to `maxLength` (default 512). */
export function bertTokenize(tokenizer: EncoderTokenizer, texts: readonly string[], maxLength = 512): EncodedBatch {
  return tokenizer.encode(texts, { padding: 'longest', maxLength });
}

/** The encoded batch as int32 tensors [B, T] (caller disposes). */
export function encodedBatchTensors(b: EncodedBatch): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  const rows = b.inputIds.length;
  const t = b.inputIds[0]?.length ?? 0;
  return {
    inputIds: tf.tensor2d(b.inputIds.flat(), [rows, t], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask.flat(), [rows, t], 'int32'),
  };
}

/** Tokenizes texts and returns hidden_states[layer] [B, T, H] with the ids and mask used. */
export function bertEncodeTexts(
  model: BertModel,
  tokenizer: EncoderTokenizer,
  texts: readonly string[],
  layer: number,
  maxLength = 512,
): { hidden: tf.Tensor3D; batch: EncodedBatch } {
  const batch = bertTokenize(tokenizer, texts, Math.min(maxLength, model.config.maxPositionEmbeddings));
  const t = encodedBatchTensors(batch);
  try {
    return { hidden: model.hiddenState(t, layer), batch };
  } finally {
    tf.dispose([t.inputIds, t.attentionMask]);
  }
}
