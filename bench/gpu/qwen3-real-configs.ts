/**
 * Qwen3's real shapes (the public config.json values) for the GPU benchmarks, which fill them with
 * random weights: speed does not depend on the values.
 */

/** Qwen/Qwen3-0.6B: 28 layers, hidden 1024, tied embedding. */
export const QWEN3_0_6B = {
  vocab_size: 151936,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  eos_token_id: 151645,
  pad_token_id: 151643,
} as const;

/** Qwen/Qwen3-8B (the seed's LLM): 36 layers, hidden 4096, 32/8 heads, MLP 12288, untied embedding and head. */
export const QWEN3_8B = {
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 12288,
  num_hidden_layers: 36,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  rope_theta: 1000000,
  tie_word_embeddings: false,
  eos_token_id: 151645,
  pad_token_id: 151643,
} as const;
