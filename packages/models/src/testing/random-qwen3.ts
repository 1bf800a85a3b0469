/**
 * Tiny random Qwen3 models for tests (`@kvc/models/testing`): configs unlike the
 * reference fixture's, so no constant of one fixture can hide in the implementation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from './write-random-qwen3.js';

/** head_dim ≠ hidden/heads, kv ratios 4:1 and 1:1, tied and untied, other eps and theta, biases. */
export const OTHER_CONFIGS: Readonly<Record<string, Record<string, unknown>>> = {
  'untied, head_dim 12, 4:1 GQA, bias, eps 1e-5, theta 5000': tinyQwen3ConfigJson({
    head_dim: 12,
    num_key_value_heads: 1,
    rms_norm_eps: 1e-5,
    rope_theta: 5000,
    attention_bias: true,
  }),
  'tied, head_dim 16, no GQA, 3 layers, theta 1e6 (transformers 5 rope_parameters)': tinyQwen3ConfigJson({
    num_attention_heads: 2,
    num_key_value_heads: 2,
    head_dim: 16,
    num_hidden_layers: 3,
    tie_word_embeddings: true,
    rope_theta: undefined,
    rope_parameters: { rope_theta: 1e6, rope_type: 'default' },
  }),
};

/** Writes a random checkpoint of `configJson` to a temp folder and loads it. */
export async function randomQwen3(
  configJson: Record<string, unknown>,
  seed = 7,
): Promise<{ model: Qwen3ForCausalLM; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kvc-qwen3-'));
  await writeRandomQwen3(dir, configJson, { seed });
  return { model: await loadQwen3(dir), dir };
}

/** Deterministic pseudo-random token ids [b][t] below vocab - 2. */
export function randomIds(b: number, t: number, vocab: number, seed: number): number[][] {
  let s = seed;
  return Array.from({ length: b }, () =>
    Array.from({ length: t }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % (vocab - 2))),
  );
}
