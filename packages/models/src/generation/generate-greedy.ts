/**
 * Greedy decoding with a KV cache for a batch of prompts of different lengths, each given
 * as embeddings (vision prefix + prompt, how captions are generated) or token ids. Prompts
 * are left-padded inside the batch with position ids cumsum(mask) − 1, as HF does, so each
 * sequence decodes as if it ran alone. Each stops at its own EOS; HF's repetition penalty.
 *
 * Memory and traffic: the prompt runs in chunks (prefill.ts); the cache is preallocated for
 * prompt + maxNewTokens and written in place (nn/kv-cache.ts); penalty, argmax and EOS flags stay
 * on the device (device-greedy-picker.ts), so each step reads back only the new ids [B]. That read
 * overlaps the next step: the next token's forward is recorded before the ids arrive (its result
 * is dropped when every sequence turns out to have finished).
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBackendErrorsAsync } from '../engine/backend-op-error.js';
import { markDevicePhase } from '../engine/device-errors.js';
import type { LoraProvider } from '../lora/lora-provider.js';
import { KvCache } from '../nn/kv-cache.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { DeviceGreedyPicker } from './device-greedy-picker.js';
import { leftPad } from './left-pad.js';
import { prefill, prefillChunkTokens } from './prefill.js';

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
  /** Prompt tokens per prefill chunk (default: PREFILL_CHUNK_ROWS / batch). */
  readonly prefillChunkTokens?: number;
  /**
   * Called when each step's ids have arrived (`tokens`: new tokens so far; the first call includes
   * the prefill), with where the step's time went.
   */
  readonly onToken?: (tokens: number, timing: StepTiming) => void;
}

/**
 * One step's wall time, split: `recordMs` is the host recording the pick and the next step's
 * kernels (JavaScript, tfjs and Dawn encoding; the GPU may run meanwhile), `waitMs` the wait for
 * this step's ids after that. A step whose time is mostly recording is bound by the host.
 */
export interface StepTiming {
  readonly recordMs: number;
  readonly waitMs: number;
}

export interface GenerationResult {
  /** Generated ids, including the EOS token when one was produced (as HF returns them). */
  readonly ids: number[];
  /** Decoded text without special tokens (when a tokenizer was given). */
  readonly text?: string;
  /** False when the caption was cut at maxNewTokens (the cut rate counts these). */
  readonly reachedEos: boolean;
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
  const maxNew = opts.maxNewTokens;
  if (!(maxNew >= 0)) throw new RangeError(`generateGreedy: maxNewTokens must be >= 0, got ${maxNew}`);
  const eosIds =
    opts.eosTokenId === undefined
      ? model.config.eosTokenIds
      : typeof opts.eosTokenId === 'number'
        ? [opts.eosTokenId]
        : opts.eosTokenId;
  const eos = new Set(eosIds);
  const b = prompts.length;
  const out = prompts.map(() => [] as number[]);
  const done = prompts.map(() => false);
  if (maxNew > 0) {
    const restorePhase = markDevicePhase('generation');
    const padded = leftPad(prompts);
    const cache = KvCache.forModel(model.config, b, padded.embeds.shape[1] + maxNew);
    const picker = new DeviceGreedyPicker({
      batch: b,
      vocabSize: model.config.vocabSize,
      penalty: opts.repetitionPenalty ?? 1,
      eosIds: [...eos],
      contextIds: opts.penaltyContextIds,
    });
    let logits: tf.Tensor2D | undefined;
    let positions: tf.Tensor2D | undefined;
    try {
      const chunkTokens = opts.prefillChunkTokens ?? prefillChunkTokens(b);
      // The first step's recording includes the prefill's.
      let stepStart = performance.now();
      let current = prefill(model, padded, cache, { lora: opts.lora, chunkTokens });
      logits = current;
      positions = tf.tensor2d([...padded.lengths], [b, 1], 'int32');
      for (let step = 0; step < maxNew; step++) {
        const next = picker.pick(current);
        current.dispose();
        logits = undefined;
        const ids = next.data(); // the copy is recorded now, before the next step's kernels
        if (step < maxNew - 1) {
          logits = current = decodeStep(model, next, positions, cache, opts.lora);
          const moved = tf.add(positions, 1) as tf.Tensor2D;
          positions.dispose();
          positions = moved;
        }
        const t1 = performance.now();
        const got = await ids;
        const timing = { recordMs: t1 - stepStart, waitMs: performance.now() - t1 };
        next.dispose();
        for (let i = 0; i < b; i++) {
          if (done[i]) continue;
          out[i]!.push(got[i]!);
          if (eos.has(got[i]!)) done[i] = true;
        }
        opts.onToken?.(step + 1, timing);
        stepStart = performance.now();
        if (done.every(Boolean)) break;
      }
    } finally {
      tf.dispose([logits, positions, padded.embeds, padded.mask, padded.positions].filter((t) => t !== undefined));
      picker.dispose();
      cache.dispose();
      restorePhase();
    }
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

/** One new token per sequence through the model: logits [B, V] (caller owns). */
function decodeStep(
  model: Qwen3ForCausalLM<LinearWeight>,
  ids: tf.Tensor1D,
  positions: tf.Tensor2D,
  cache: KvCache,
  lora: LoraProvider | undefined,
): tf.Tensor2D {
  return tf.tidy(() => {
    const b = ids.shape[0];
    const hidden = model.forward({
      inputIds: tf.reshape(ids, [b, 1]),
      attentionMask: tf.ones([b, 1]),
      positionIds: positions,
      cache,
      ...(lora ? { lora } : {}),
    });
    return tf.reshape(model.lmHead(hidden), [b, -1]);
  });
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
