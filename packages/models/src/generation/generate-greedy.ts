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
 * is dropped when every sequence turns out to have finished). On webgpu the decoding steps after
 * the second are replays of a recorded one (replayed-decode.ts): the host no longer records each kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBackendErrorsAsync } from '../engine/backend-op-error.js';
import { throwIfDeviceError } from '../engine/device-errors.js';
import { markDevicePhase } from '../engine/device-errors.js';
import { BackendError } from '../errors.js';
import type { LoraProvider } from '../lora/lora-provider.js';
import { KvCache, roundedCapacity } from '../nn/kv-cache.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { DeviceGreedyPicker } from './device-greedy-picker.js';
import { leftPad } from './left-pad.js';
import { prefill, prefillChunkTokens } from './prefill.js';
import { fusedAttentionOn } from '../nn/attention-fused.js';
import { ReplayedDecode } from './replayed-decode.js';
import { decodeTakesWidth } from '../gpu/flash-decode-wgsl.js';
import type { RecordedStep } from '../gpu/recorded-step.js';

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
  /** Prompt tokens per prefill chunk (default: prefillChunkTokens, larger where the fused attention runs). */
  readonly prefillChunkTokens?: number;
  /**
   * Called when each step's ids have arrived (`tokens`: new tokens so far; the first call includes
   * the prefill), with where the step's time went.
   */
  readonly onToken?: (tokens: number, timing: StepTiming) => void;
  /**
   * Replay recorded decoding steps on webgpu instead of recording each (replayed-decode.ts; default true). The
   * ids are the same either way; false is for comparing the two.
   */
  readonly replaySteps?: boolean;
  /**
   * How the KV cache keeps keys and values (nn/kv-cache.ts): 'f16' rows take half the memory. Default
   * (kvCacheF16For): f16 on webgpu with the fused kernels on, for a model whose frozen weights are
   * not float32 (f16 or NF4: their attention forward already rounds keys and values to f16); else 'f32'.
   */
  readonly kvCache?: 'f32' | 'f16';
  /**
   * Called once with the recorded decoding step that the later steps replay, after its ids arrived and before
   * the next step (benchmarks profile it: RecordedStep.profile). The step belongs to the generation.
   */
  readonly onStepRecorded?: (step: RecordedStep<tf.Tensor2D>) => Promise<void> | void;
}

/**
 * One step's wall time, split: `recordMs` is the host recording the pick and the next step's
 * kernels (JavaScript, tfjs and Dawn encoding; the GPU may run meanwhile), `waitMs` the wait for
 * this step's ids after that. A step whose time is mostly recording is bound by the host.
 */
export interface StepTiming {
  readonly recordMs: number;
  readonly waitMs: number;
  /** The step after the pick was a replay of a recorded one (replayed-decode.ts), not recorded op by op. */
  readonly replayed: boolean;
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
  // Before anything is allocated: a refused cache leaves nothing behind.
  const f16 = (opts.kvCache ?? (kvCacheF16For(model) ? 'f16' : 'f32')) === 'f16';
  if (f16 && !kvCacheF16Possible(model))
    throw new BackendError(
      'E_GPU_F16_ROWS',
      'an f16 KV cache needs the webgpu backend and a head width that is a multiple of 8',
      { backend: tf.getBackend(), headDim: model.config.headDim },
      'run on webgpu (--backend webgpu), or keep the cache in float32 (generation.kvCache=f32 or auto)',
    );
  if (maxNew > 0) {
    const restorePhase = markDevicePhase('generation');
    const padded = leftPad(prompts);
    const cache = KvCache.forModel(model.config, b, roundedCapacity(padded.length + maxNew), f16);
    const picker = new DeviceGreedyPicker({
      batch: b,
      vocabSize: model.config.vocabSize,
      penalty: opts.repetitionPenalty ?? 1,
      eosIds: [...eos],
      contextIds: opts.penaltyContextIds,
    });
    const decode = new ReplayedDecode(
      {
        run: (ids, positions) => decodeStep(model, ids, positions, cache, opts.lora),
        prepare: () => cache.prepareStep(1),
      },
      b,
      opts.replaySteps ?? true,
    );
    // The logits of the step being picked from, and whether this loop owns them (a replayed step owns its own).
    let current: { logits: tf.Tensor2D; owned: boolean } | undefined;
    try {
      const chunkTokens = opts.prefillChunkTokens ?? prefillChunkTokens(b, fusedAttentionOn());
      // The first step's recording includes the prefill's.
      let stepStart = performance.now();
      current = { logits: prefill(model, padded, cache, { lora: opts.lora, chunkTokens }), owned: true };
      const positions = Int32Array.from(padded.lengths);
      for (let step = 0; step < maxNew; step++) {
        const picked = current!; // the prefill's, then each step's (a step is decoded while more are to come)
        const next = picker.pick(picked.logits);
        if (picked.owned) picked.logits.dispose();
        current = undefined;
        const ids = next.data(); // the copy is recorded now, before the next step's kernels
        const replays = decode.replays;
        if (step < maxNew - 1) {
          current = decode.next(next, positions);
          for (let i = 0; i < b; i++) positions[i]!++;
        }
        const t1 = performance.now();
        const got = await ids;
        const timing = { recordMs: t1 - stepStart, waitMs: performance.now() - t1, replayed: decode.replays > replays };
        next.dispose();
        // A GPU error (a binding too large, out of memory) makes every later result invalid: stop at the step it
        // is reported in, not after all of them.
        throwIfDeviceError('greedy generation', 'generation');
        if (decode.newlyRecorded) {
          await opts.onStepRecorded?.(decode.newlyRecorded);
          decode.newlyRecorded = undefined;
        }
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
      if (current?.owned) current.logits.dispose();
      decode.dispose();
      tf.dispose([padded.mask, padded.positions]);
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

/**
 * Whether generation keeps the KV cache in f16 by default: webgpu with the fused attention on, frozen weights that
 * are not float32 tensors, and a head width the decode kernels read (a multiple of 8).
 */
export function kvCacheF16For(model: Qwen3ForCausalLM<LinearWeight>): boolean {
  const w = model.weights.layers[0]?.q.weight;
  return fusedAttentionOn() && w !== undefined && !(w instanceof tf.Tensor) && kvCacheF16Possible(model);
}

/** Whether f16 rows can be used at all: the webgpu backend (the decode kernels read them) and their head width. */
const kvCacheF16Possible = (model: Qwen3ForCausalLM<LinearWeight>): boolean =>
  tf.getBackend() === 'webgpu' && decodeTakesWidth(model.config.headDim);

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
