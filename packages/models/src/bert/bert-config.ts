/** BERT config.json (`model_type` `bert`) with HF BertConfig defaults; absolute positions only. */
import { ConfigError } from '../errors.js';
import { checkHeads, intField, numField, strField, type RawConfig } from '../io/config-fields.js';

export interface BertConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly hiddenAct: string;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
}

export function parseBertConfig(raw: RawConfig, file?: string): BertConfig {
  if (raw.model_type !== undefined && raw.model_type !== 'bert') {
    throw new ConfigError('E_CONFIG_UNSUPPORTED', `model_type ${String(raw.model_type)} is not bert`, {
      model_type: raw.model_type,
      ...(file ? { file } : {}),
    });
  }
  const pos = raw.position_embedding_type ?? 'absolute';
  if (pos !== 'absolute') {
    throw new ConfigError(
      'E_CONFIG_UNSUPPORTED',
      `position_embedding_type ${String(pos)} is not supported`,
      { position_embedding_type: pos, ...(file ? { file } : {}) },
      'only absolute position embeddings (every BERTScore model we use) are implemented',
    );
  }
  const c: BertConfig = {
    vocabSize: intField(raw, 'vocab_size', 30522, file),
    hiddenSize: intField(raw, 'hidden_size', 768, file),
    numHiddenLayers: intField(raw, 'num_hidden_layers', 12, file),
    numAttentionHeads: intField(raw, 'num_attention_heads', 12, file),
    intermediateSize: intField(raw, 'intermediate_size', 3072, file),
    hiddenAct: strField(raw, 'hidden_act', 'gelu', file),
    maxPositionEmbeddings: intField(raw, 'max_position_embeddings', 512, file),
    typeVocabSize: intField(raw, 'type_vocab_size', 2, file),
    layerNormEps: numField(raw, 'layer_norm_eps', 1e-12, file),
  };
  checkHeads(c.hiddenSize, c.numAttentionHeads, file);
  return c;
}
