/**
 * Qwen3's config.json (as transformers writes it) read into a readonly typed config, with
 * every value the implementation depends on checked once. Both the transformers 4 layout
 * (`rope_theta`, `rope_scaling`) and the 5 layout (`rope_parameters`) are accepted.
 */
import { ConfigError } from '../errors.js';
import { intField, numField, type RawConfig } from '../io/config-fields.js';

export interface Qwen3Config {
  readonly modelType: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly numKeyValueHeads: number;
  /** May differ from hiddenSize / numAttentionHeads (Qwen3 sets it explicitly). */
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly tieWordEmbeddings: boolean;
  readonly attentionBias: boolean;
  /** End-of-sequence ids (config may give one or a list). */
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | undefined;
}

/** Normalises an eos_token_id field (number, list or null) to a list. */
export function eosList(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

export function parseQwen3Config(raw: RawConfig, file?: string): Qwen3Config {
  const bad = (field: string, why: string, hint?: string) =>
    new ConfigError('E_CONFIG_UNSUPPORTED', `config.json: ${why}`, { file, field }, hint);
  if (raw.model_type !== undefined && raw.model_type !== 'qwen3') {
    const hint = 'this loader reads Qwen3ForCausalLM checkpoints (model_type "qwen3")';
    throw bad('model_type', `model_type ${JSON.stringify(raw.model_type)} is not qwen3`, hint);
  }
  const hiddenSize = intField(raw, 'hidden_size', undefined, file);
  const numAttentionHeads = intField(raw, 'num_attention_heads', undefined, file);
  const numKeyValueHeads = intField(raw, 'num_key_value_heads', numAttentionHeads, file);
  const headDim = intField(raw, 'head_dim', hiddenSize / numAttentionHeads, file);
  if (headDim % 2 !== 0) throw bad('head_dim', `head_dim must be even (RoPE rotates halves), got ${headDim}`);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw bad(
      'num_key_value_heads',
      `num_attention_heads (${numAttentionHeads}) must be a multiple of num_key_value_heads (${numKeyValueHeads})`,
    );
  }
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw bad('hidden_act', `hidden_act "${String(act)}" is not supported (Qwen3 uses silu)`);
  const rope = (raw.rope_parameters ?? raw.rope_scaling ?? {}) as RawConfig;
  const ropeType = rope.rope_type ?? rope.type ?? 'default';
  if (ropeType !== 'default')
    throw bad(
      'rope_parameters',
      `rope_type "${String(ropeType)}" is not supported (only "default")`,
      'remove rope scaling from config.json for contexts within max_position_embeddings',
    );
  const ropeTheta = numField(rope.rope_theta !== undefined ? rope : raw, 'rope_theta', 10000, file);
  if (raw.use_sliding_window === true) throw bad('use_sliding_window', 'sliding-window attention is not supported');
  return {
    modelType: String(raw.model_type ?? 'qwen3'),
    vocabSize: intField(raw, 'vocab_size', undefined, file),
    hiddenSize,
    intermediateSize: intField(raw, 'intermediate_size', undefined, file),
    numHiddenLayers: intField(raw, 'num_hidden_layers', undefined, file),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: numField(raw, 'rms_norm_eps', 1e-6, file),
    ropeTheta,
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    attentionBias: raw.attention_bias === true,
    eosTokenIds: eosList(raw.eos_token_id),
    padTokenId: typeof raw.pad_token_id === 'number' ? raw.pad_token_id : undefined,
  };
}
