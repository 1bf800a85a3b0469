/**
 * The prompt pass of generation, in chunks of tokens: each chunk runs through every layer, writes
 * its keys/values into the preallocated cache and attends over the cache (the chunks before it,
 * itself causally). So no tensor grows with the prompt length squared (the causal bias of a chunk
 * is [B, 1, chunk, ≤ capacity], the attention's score blocks are bounded by `attention`), and the
 * activations alive at once are one chunk's. Rows of a matmul do not depend on each other, so the
 * result is the one-pass result.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LoraProvider } from '../lora/lora-provider.js';
import type { KvCache } from '../nn/kv-cache.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import type { LeftPadded } from './left-pad.js';

/** Rows (batch × tokens) of one prefill chunk by default: matmuls big enough to be efficient, few chunks. */
export const PREFILL_CHUNK_ROWS = 4096;
/** Tokens of one prefill chunk at most (bounds a chunk's causal bias at small batches). */
export const PREFILL_CHUNK_MAX_TOKENS = 1024;
/**
 * The same where the fused attention takes the prefill (webgpu): it reads the keys' padding bias, so no
 * [chunk × keys] bias or score tensor exists, and a chunk's memory is its activations (~1 GiB for Qwen3-0.6B at
 * 16,384 rows). Each chunk costs ~60 dispatches a layer of host time: 10 chunks of 512 tokens took 2.1 s to record
 * at batch 8 on the H200 (bench/results/2026-11-28-gen-h200-session12.md).
 */
export const PREFILL_CHUNK_ROWS_FUSED = 16384;
export const PREFILL_CHUNK_MAX_TOKENS_FUSED = 4096;

/** Tokens per prefill chunk for a batch of `batch` (at least 1); `fused`: the fused attention takes it. */
export function prefillChunkTokens(batch: number, fused = false): number {
  const [rows, most] = fused
    ? [PREFILL_CHUNK_ROWS_FUSED, PREFILL_CHUNK_MAX_TOKENS_FUSED]
    : [PREFILL_CHUNK_ROWS, PREFILL_CHUNK_MAX_TOKENS];
  return Math.max(1, Math.min(most, Math.floor(rows / batch)));
}

/** Runs the padded prompts through the model into `cache`; returns the last position's logits [B, V]. */
export function prefill(
  model: Qwen3ForCausalLM<LinearWeight>,
  prompt: LeftPadded,
  cache: KvCache,
  opts: { readonly lora?: LoraProvider | undefined; readonly chunkTokens: number },
): tf.Tensor2D {
  const [b, t] = prompt.mask.shape;
  const lora = opts.lora ? { lora: opts.lora } : {};
  const chunk = Math.max(1, Math.min(opts.chunkTokens, t));
  let logits: tf.Tensor2D | undefined;
  for (let s = 0; s < t; s += chunk) {
    const n = Math.min(chunk, t - s);
    const hidden = tf.tidy(() =>
      model.forward({
        inputsEmbeds: prompt.chunk(s, n),
        attentionMask: tf.slice(prompt.mask, [0, s], [b, n]),
        positionIds: tf.slice(prompt.positions, [0, s], [b, n]),
        cache,
        ...lora,
      }),
    );
    if (s + n >= t) {
      // Left padding puts every sequence's last prompt token at t − 1.
      logits = tf.tidy(() => tf.reshape(model.lmHead(tf.slice(hidden, [0, n - 1, 0], [b, 1, -1])), [b, -1]));
    }
    hidden.dispose();
  }
  return logits!;
}
