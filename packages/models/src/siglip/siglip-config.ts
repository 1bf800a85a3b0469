/**
 * SigLIP config.json (`model_type` `siglip`: a `vision_config` and a `text_config`), with HF
 * SiglipVisionConfig / SiglipTextConfig defaults. The fixed-resolution SigLIP2 checkpoints
 * (google/siglip2-so400m-patch14-384) use this type.
 */
import { ConfigError } from '../errors.js';
import { checkHeads, intField, numField, strField, type RawConfig } from '../io/config-fields.js';

export interface SiglipTowerConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly hiddenAct: string;
  readonly layerNormEps: number;
}

export interface SiglipVisionConfig extends SiglipTowerConfig {
  readonly numChannels: number;
  readonly imageSize: number;
  readonly patchSize: number;
}

export interface SiglipTextConfig extends SiglipTowerConfig {
  readonly vocabSize: number;
  readonly maxPositionEmbeddings: number;
  readonly projectionSize: number;
  readonly padTokenId: number;
}

export interface SiglipConfig {
  readonly vision: SiglipVisionConfig;
  readonly text: SiglipTextConfig;
}

function tower(v: RawConfig, file?: string): SiglipTowerConfig {
  const c = {
    hiddenSize: intField(v, 'hidden_size', 768, file),
    intermediateSize: intField(v, 'intermediate_size', 3072, file),
    numHiddenLayers: intField(v, 'num_hidden_layers', 12, file),
    numAttentionHeads: intField(v, 'num_attention_heads', 12, file),
    hiddenAct: strField(v, 'hidden_act', 'gelu_pytorch_tanh', file),
    layerNormEps: numField(v, 'layer_norm_eps', 1e-6, file),
  };
  checkHeads(c.hiddenSize, c.numAttentionHeads, file);
  return c;
}

export function parseSiglipConfig(raw: RawConfig, file?: string): SiglipConfig {
  if (raw.model_type !== 'siglip') {
    throw new ConfigError(
      'E_CONFIG_UNSUPPORTED',
      `model_type ${String(raw.model_type)} is not siglip`,
      { model_type: raw.model_type, ...(file ? { file } : {}) },
      'expected a SiglipModel config.json (vision_config + text_config)',
    );
  }
  const v = (raw.vision_config ?? {}) as RawConfig;
  const t = (raw.text_config ?? {}) as RawConfig;
  const text = tower(t, file);
  const pad = t.pad_token_id ?? 1;
  return {
    vision: {
      ...tower(v, file),
      numChannels: intField(v, 'num_channels', 3, file),
      imageSize: intField(v, 'image_size', 224, file),
      patchSize: intField(v, 'patch_size', 16, file),
    },
    text: {
      ...text,
      vocabSize: intField(t, 'vocab_size', 32000, file),
      maxPositionEmbeddings: intField(t, 'max_position_embeddings', 64, file),
      projectionSize: intField(t, 'projection_size', text.hiddenSize, file),
      padTokenId: typeof pad === 'number' ? pad : 1,
    },
  };
}
