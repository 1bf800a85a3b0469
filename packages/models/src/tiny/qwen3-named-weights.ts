/**
 * The tensors of a Qwen3ForCausalLM under their Hugging Face names (the inverse of
 * `loadQwen3`), and saving them as `model.safetensors`: how a model trained in kvc (the demo's
 * warmed-up tiny LLM) goes back to disk in a folder HF transformers can read.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { singleMatrix } from '../nn/row-matrix.js';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../io/write-safetensors.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import type { Qwen3Weights } from '../qwen3/qwen3-weights.js';
import { qwen3LinearModules } from '../qwen3/qwen3-weights.js';
import type { Qwen3Config } from '../qwen3/qwen3-config.js';

const KEYS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

/** HF name → tensor of every weight (no lm_head when tied). */
export function qwen3NamedWeights(config: Qwen3Config, w: Qwen3Weights): Map<string, tf.Tensor> {
  const m = new Map<string, tf.Tensor>();
  // Saving is for tiny models, whose matrices are never split into row shards.
  m.set('model.embed_tokens.weight', singleMatrix(w.embedTokens, 'qwen3NamedWeights'));
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}`;
    m.set(`${p}.input_layernorm.weight`, l.inputNorm);
    m.set(`${p}.post_attention_layernorm.weight`, l.postAttentionNorm);
    m.set(`${p}.self_attn.q_norm.weight`, l.qNorm);
    m.set(`${p}.self_attn.k_norm.weight`, l.kNorm);
    const paths = qwen3LinearModules(config, i);
    for (const k of KEYS) {
      m.set(`${paths[k][0]}.weight`, l[k].weight);
      if (l[k].bias) m.set(`${paths[k][0]}.bias`, l[k].bias!);
    }
  });
  m.set('model.norm.weight', w.norm);
  if (w.lmHead) m.set('lm_head.weight', singleMatrix(w.lmHead, 'qwen3NamedWeights'));
  return m;
}

/** Writes `dir/model.safetensors` (f32) of the model's weights; config.json is the caller's. */
export async function saveQwen3Weights(model: Qwen3ForCausalLM, dir: string): Promise<void> {
  const out: Record<string, TensorToWrite> = {};
  for (const [name, t] of qwen3NamedWeights(model.config, model.weights)) {
    out[name] = { dtype: 'F32', shape: t.shape, data: (await t.data()) as Float32Array };
  }
  await writeSafetensors(join(dir, 'model.safetensors'), out, { format: 'pt' });
}
