/**
 * The tensors of a Qwen3ForCausalLM checkpoint: their HF names and shapes (to validate a
 * checkpoint in one pass) and the loaded, frozen tensors grouped per layer.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LinearWeight, LinearWeights } from '../nn/linear.js';
import type { RowMatrix } from '../nn/row-matrix.js';
import type { Qwen3Config } from './qwen3-config.js';

/** `W`: f32 tensors by default; a model loaded with precision f16 holds F16Matrix weights (LinearWeight). */
export interface Qwen3LayerWeights<W extends LinearWeight = tf.Tensor2D> {
  readonly inputNorm: tf.Tensor1D;
  readonly postAttentionNorm: tf.Tensor1D;
  readonly qNorm: tf.Tensor1D;
  readonly kNorm: tf.Tensor1D;
  readonly q: LinearWeights<W>;
  readonly k: LinearWeights<W>;
  readonly v: LinearWeights<W>;
  readonly o: LinearWeights<W>;
  readonly gate: LinearWeights<W>;
  readonly up: LinearWeights<W>;
  readonly down: LinearWeights<W>;
}

export interface Qwen3Weights<W extends LinearWeight = tf.Tensor2D> {
  /** [V, H]; row shards when one tensor would exceed the GPU's buffer binding limit. */
  readonly embedTokens: RowMatrix;
  readonly layers: readonly Qwen3LayerWeights<W>[];
  readonly norm: tf.Tensor1D;
  /** Undefined when tie_word_embeddings: the embedding matrix is the output head. */
  readonly lmHead: RowMatrix | undefined;
}

/** The linear modules of layer i: short key → [HF module path, out, in]. */
export function qwen3LinearModules(
  c: Qwen3Config,
  i: number,
): Record<'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down', [string, number, number]> {
  const p = `model.layers.${i}`;
  const qd = c.numAttentionHeads * c.headDim;
  const kvd = c.numKeyValueHeads * c.headDim;
  return {
    q: [`${p}.self_attn.q_proj`, qd, c.hiddenSize],
    k: [`${p}.self_attn.k_proj`, kvd, c.hiddenSize],
    v: [`${p}.self_attn.v_proj`, kvd, c.hiddenSize],
    o: [`${p}.self_attn.o_proj`, c.hiddenSize, qd],
    gate: [`${p}.mlp.gate_proj`, c.intermediateSize, c.hiddenSize],
    up: [`${p}.mlp.up_proj`, c.intermediateSize, c.hiddenSize],
    down: [`${p}.mlp.down_proj`, c.hiddenSize, c.intermediateSize],
  };
}

/** Every tensor name → shape a checkpoint of this config holds (lm_head only if untied). */
export function qwen3ExpectedShapes(c: Qwen3Config): Map<string, number[]> {
  const m = new Map<string, number[]>();
  m.set('model.embed_tokens.weight', [c.vocabSize, c.hiddenSize]);
  m.set('model.norm.weight', [c.hiddenSize]);
  m.set('lm_head.weight', [c.vocabSize, c.hiddenSize]);
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `model.layers.${i}`;
    m.set(`${p}.input_layernorm.weight`, [c.hiddenSize]);
    m.set(`${p}.post_attention_layernorm.weight`, [c.hiddenSize]);
    m.set(`${p}.self_attn.q_norm.weight`, [c.headDim]);
    m.set(`${p}.self_attn.k_norm.weight`, [c.headDim]);
    for (const [key, [path, out, inp]] of Object.entries(qwen3LinearModules(c, i))) {
      m.set(`${path}.weight`, [out, inp]);
      if (c.attentionBias && ['q', 'k', 'v', 'o'].includes(key)) m.set(`${path}.bias`, [out]);
    }
  }
  return m;
}
