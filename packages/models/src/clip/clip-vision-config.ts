/**
 * The vision-tower settings of a CLIP config.json: `model_type` `clip_vision_model` (the fields
 * at top level) or `clip` (a full CLIPModel: the fields under `vision_config`). Defaults are
 * HF CLIPVisionConfig's.
 */
import { ConfigError } from '../errors.js';
import { patchesAlong } from '../nn/patchify.js';
import { checkHeads, intField, numField, strField, type RawConfig } from '../io/config-fields.js';

export interface ClipVisionConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly numChannels: number;
  readonly imageSize: number;
  readonly patchSize: number;
  readonly hiddenAct: string;
  readonly layerNormEps: number;
}

export function parseClipVisionConfig(raw: RawConfig, file?: string): ClipVisionConfig {
  let v: RawConfig = raw;
  if (raw.model_type === 'clip') {
    if (!raw.vision_config || typeof raw.vision_config !== 'object') {
      throw new ConfigError('E_CONFIG_INVALID', 'a clip config.json needs a vision_config object', {
        ...(file ? { file } : {}),
      });
    }
    v = raw.vision_config as RawConfig;
  } else if (raw.model_type !== undefined && raw.model_type !== 'clip_vision_model') {
    throw new ConfigError(
      'E_CONFIG_UNSUPPORTED',
      `model_type ${String(raw.model_type)} is not a CLIP vision model`,
      { model_type: raw.model_type, ...(file ? { file } : {}) },
      'expected clip or clip_vision_model',
    );
  }
  const c: ClipVisionConfig = {
    hiddenSize: intField(v, 'hidden_size', 768, file),
    intermediateSize: intField(v, 'intermediate_size', 3072, file),
    numHiddenLayers: intField(v, 'num_hidden_layers', 12, file),
    numAttentionHeads: intField(v, 'num_attention_heads', 12, file),
    numChannels: intField(v, 'num_channels', 3, file),
    imageSize: intField(v, 'image_size', 224, file),
    patchSize: intField(v, 'patch_size', 32, file),
    hiddenAct: strField(v, 'hidden_act', 'quick_gelu', file),
    layerNormEps: numField(v, 'layer_norm_eps', 1e-5, file),
  };
  checkHeads(c.hiddenSize, c.numAttentionHeads, file);
  return c;
}

/** Number of patch positions plus the class token. */
export function clipNumPositions(c: ClipVisionConfig): number {
  return patchesAlong(c.imageSize, c.patchSize) ** 2 + 1;
}
