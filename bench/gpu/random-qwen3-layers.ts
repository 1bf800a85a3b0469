/**
 * The decoder layers of a random Qwen3 for the GPU benches (speed and memory do not depend on the
 * values): norms of ones, and each linear weight from `lin` (f32, F16Matrix or Nf4Matrix).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LinearWeight, Qwen3Config, Qwen3LayerWeights } from '@kvc/models';

export function randomQwen3Layers<W extends LinearWeight>(
  config: Qwen3Config,
  lin: (name: string) => { weight: W },
): Qwen3LayerWeights<W>[] {
  const ones = (n: number) => tf.ones([n]) as tf.Tensor1D;
  return Array.from({ length: config.numHiddenLayers }, (_, i) => {
    const p = `model.layers.${i}`;
    return {
      inputNorm: ones(config.hiddenSize),
      postAttentionNorm: ones(config.hiddenSize),
      qNorm: ones(config.headDim),
      kNorm: ones(config.headDim),
      q: lin(`${p}.self_attn.q_proj`),
      k: lin(`${p}.self_attn.k_proj`),
      v: lin(`${p}.self_attn.v_proj`),
      o: lin(`${p}.self_attn.o_proj`),
      gate: lin(`${p}.mlp.gate_proj`),
      up: lin(`${p}.mlp.up_proj`),
      down: lin(`${p}.mlp.down_proj`),
    };
  });
}
