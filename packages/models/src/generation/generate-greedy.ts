/**
 * Greedy decoding with a KV cache for a batch of prompts of different lengths, each given
 * as embeddings (vision prefix + prompt, how captions are generated) or token ids. Prompts
 * are left-padded inside the batch with position ids cumsum(mask) − 1, as HF does, so each
 * sequence decodes as if it ran alone. Each stops at its own EOS; HF's repetition penalty.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBackendErrorsAsync } from '../engine/backend-op-error.js';
import type { LoraProvider } from '../lora/lora-provider.js';
import { KvCache } from '../nn/kv-cache.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { applyRepetitionPenalty, argmax } from './repetition-penalty.js';

export interface GenerateOptions {
  readonly maxNewTokens: number;
  /** One id or a list (generation_config.json may list several). Default: the model config's. */
  readonly eosTokenId?: number | readonly number[];
  /** HF repetition_penalty (1 = off). */
  readonly repetitionPenalty?: number;
  readonly lora?: LoraProvider;
  /** Decodes `text` (special tokens skipped) when given. */
  readonly tokenizer?: TextTokenizer;
  /**
   * Ids that count for the repetition penalty besides the generated ones, per sequence. HF
   * counts the prompt ids when generating from ids and nothing when generating from embeddings.
   */
  readonly penaltyContextIds?: readonly (readonly number[])[];
}

export interface GenerationResult {
  /** Generated ids, including the EOS token when one was produced (as HF returns them). */
  readonly ids: number[];
  /** Decoded text without special tokens (when a tokenizer was given). */
  readonly text?: string;
  readonly reachedEos: boolean;
}

/** Left-pads prompts [T_i, H] into [B, L, H] with mask and HF's left-padding position ids. */
function leftPad(prompts: readonly tf.Tensor2D[]): {
  embeds: tf.Tensor3D;
  mask: tf.Tensor2D;
  positions: tf.Tensor2D;
  lastPos: number[];
} {
  return tf.tidy(() => {
    const h = prompts[0]!.shape[1];
    const len = Math.max(...prompts.map((p) => p.shape[0]));
    const rows = prompts.map((p) => (p.shape[0] < len ? tf.concat([tf.zeros([len - p.shape[0], h]), p], 0) : p));
    const maskData = new Float32Array(prompts.length * len);
    const posData = new Int32Array(prompts.length * len);
    prompts.forEach((p, b) => {
      const pad = len - p.shape[0];
      for (let i = 0; i < len; i++) {
        maskData[b * len + i] = i >= pad ? 1 : 0;
        posData[b * len + i] = i >= pad ? i - pad : 1; // HF: cumsum(mask) - 1, pads filled with 1
      }
    });
    return {
      embeds: tf.stack(rows) as tf.Tensor3D,
      mask: tf.tensor2d(maskData, [prompts.length, len]),
      positions: tf.tensor2d(posData, [prompts.length, len], 'int32'),
      lastPos: prompts.map((p) => p.shape[0] - 1),
    };
  });
}

/** Greedy generation from prompt embeddings [T_i, H] (one tensor per sequence). */
export function generateGreedy(
  model: Qwen3ForCausalLM<LinearWeight>,
  prompts: readonly tf.Tensor2D[],
  opts: GenerateOptions,
): Promise<GenerationResult[]> {
  return withBackendErrorsAsync('greedy generation', () => generate(model, prompts, opts), 'generation');
}

async function generate(
  model: Qwen3ForCausalLM<LinearWeight>,
  prompts: readonly tf.Tensor2D[],
  opts: GenerateOptions,
): Promise<GenerationResult[]> {
  if (!prompts.length) return [];
  if (!(opts.maxNewTokens >= 0))
    throw new RangeError(`generateGreedy: maxNewTokens must be >= 0, got ${opts.maxNewTokens}`);
  const eos = new Set(
    opts.eosTokenId === undefined
      ? model.config.eosTokenIds
      : typeof opts.eosTokenId === 'number'
        ? [opts.eosTokenId]
        : opts.eosTokenId,
  );
  const penalty = opts.repetitionPenalty ?? 1;
  const b = prompts.length;
  const vocab = model.config.vocabSize;
  const out = prompts.map(() => [] as number[]);
  const done = prompts.map(() => false);
  const seen = prompts.map((_, i) => [...(opts.penaltyContextIds?.[i] ?? [])]);
  const cache = new KvCache(model.config.numHiddenLayers);
  const lora = opts.lora ? { lora: opts.lora } : {};
  let logits: tf.Tensor | undefined;
  try {
    const first = leftPad(prompts);
    const lastPos = first.lastPos;
    logits = tf.tidy(() => {
      const hidden = model.forward({
        inputsEmbeds: first.embeds,
        attentionMask: first.mask,
        positionIds: first.positions,
        cache,
        ...lora,
      });
      return tf.reshape(model.lmHead(tf.slice(hidden, [0, hidden.shape[1] - 1, 0], [b, 1, -1])), [b, vocab]);
    });
    tf.dispose([first.embeds, first.mask, first.positions]);
    for (let step = 0; step < opts.maxNewTokens; step++) {
      const data = (await logits!.data()) as Float32Array;
      logits!.dispose();
      logits = undefined;
      const next: number[] = [];
      for (let i = 0; i < b; i++) {
        if (done[i]) {
          // A finished sequence keeps decoding in the batch (its output is ignored); feed its
          // own EOS, always a valid id (HF feeds pad_token_id).
          next.push(out[i]![out[i]!.length - 1]!);
          continue;
        }
        const row = data.subarray(i * vocab, (i + 1) * vocab);
        applyRepetitionPenalty(row, seen[i]!, penalty);
        const id = argmax(row);
        out[i]!.push(id);
        seen[i]!.push(id);
        if (eos.has(id)) done[i] = true;
        next.push(id);
      }
      if (done.every(Boolean) || step === opts.maxNewTokens - 1) break;
      for (let i = 0; i < b; i++) lastPos[i]!++;
      logits = tf.tidy(() => {
        const ids = tf.tensor2d(next, [b, 1], 'int32');
        const hidden = model.forward({
          inputIds: ids,
          attentionMask: tf.ones([b, 1]),
          positionIds: tf.tensor2d(lastPos, [b, 1], 'int32'),
          cache,
          ...lora,
        });
        return tf.reshape(model.lmHead(hidden), [b, vocab]);
      });
    }
  } finally {
    logits?.dispose();
    cache.dispose();
  }
  return out.map((ids, i) => ({
    ids,
    reachedEos: done[i]!,
    ...(opts.tokenizer
      ? {
          text: opts.tokenizer.decode(
            ids.filter((t) => !eos.has(t)),
            { skipSpecialTokens: true },
          ),
        }
      : {}),
  }));
}

/** Greedy generation from token ids (prompt ids count for the repetition penalty, as in HF). */
export async function generateGreedyFromIds(
  model: Qwen3ForCausalLM<LinearWeight>,
  prompts: readonly (readonly number[])[],
  opts: GenerateOptions,
): Promise<GenerationResult[]> {
  const embeds = prompts.map((ids) =>
    tf.tidy(() => tf.squeeze(model.embed(tf.tensor2d([...ids], [1, ids.length], 'int32')), [0]) as tf.Tensor2D),
  );
  try {
    return await generateGreedy(model, embeds, { penaltyContextIds: prompts, ...opts });
  } finally {
    tf.dispose(embeds);
  }
}
