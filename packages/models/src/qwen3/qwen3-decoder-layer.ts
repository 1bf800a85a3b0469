/**
 * One Qwen3 decoder layer, as a function of explicit tensors (so gradient checkpointing can
 * recompute it): pre-norm attention with per-head q/k RMSNorm, RoPE and grouped-query
 * attention, then a pre-norm SwiGLU MLP, each added to the residual stream.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attention } from '../nn/attention.js';
import { fusedAttentionTakes } from '../nn/attention-fused.js';
import type { AttentionReplay } from '../nn/attention-replay.js';
import { mergeHeads, splitHeads } from '../nn/heads.js';
import { linear, type LoraPair } from '../nn/linear.js';
import { addRmsNorm, rmsNorm } from '../nn/rms-norm.js';
import { qkNormRope } from '../nn/qk-norm-rope.js';
import { swiGluLinear } from '../nn/swiglu-linear.js';
import { withSharedLowRank } from '../nn/shared-low-rank.js';
import type { Qwen3Config } from './qwen3-config.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3LayerWeights } from './qwen3-weights.js';

export type Qwen3ModuleKey = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

export interface DecoderLayerContext {
  readonly config: Qwen3Config;
  /** RoPE tables of the new tokens [B, 1, T, headDim]. */
  readonly cos: tf.Tensor4D;
  readonly sin: tf.Tensor4D;
  /** Additive attention bias [B, 1, T, Tpast + T]. */
  readonly bias: tf.Tensor4D;
  /**
   * The same mask as padding only, [B, 1, 1, Tpast + T], when the new tokens are the last T keys
   * (no cache, or a cache filled up to them). The fused attention kernels then take it with the
   * causal flag, which lets them skip the blocks above the diagonal (half the work); the full
   * bias cannot say which blocks those are. Same values either way (attention-fused.ts).
   */
  readonly keyBias?: tf.Tensor4D | undefined;
  /**
   * Every query sees a key (Qwen3ForwardInput.everyRowSeesAKey): with keyBias, the tfjs attention op
   * then skips the keys above each query chunk's diagonal too (attention.ts).
   */
  readonly everyRowSeesAKey?: boolean | undefined;
  /** LoRA of each module, if any. */
  readonly lora: Partial<Record<Qwen3ModuleKey, LoraPair>>;
  /** Seeds for LoRA dropout per module (training); absent → no dropout. */
  readonly dropoutSeeds?: Partial<Record<Qwen3ModuleKey, number>>;
  /**
   * Largest attention-score block [B, heads, rows, keys] computed at once, in bytes (default
   * DEFAULT_ATTENTION_CHUNK_BYTES). Longer sequences attend in query chunks, forward and
   * backward (`attention`): softmax is per row, so the result is identical, training keeps
   * no T×T probabilities, and no tensor outgrows a WebGPU buffer binding (2 GiB).
   */
  readonly scoreChunkBytes?: number;
  /** A checkpointed layer's kept attention results (nn/checkpointed.ts, keepAttention). */
  readonly attentionReplay?: AttentionReplay | undefined;
  /** Prepends cached keys/values and returns the full ones (KV cache), or identity. */
  readonly extendKv?: (k: tf.Tensor4D, v: tf.Tensor4D) => { k: tf.Tensor4D; v: tf.Tensor4D };
}

/** x [B, T, H] → [B, T, H]. */
export function qwen3DecoderLayer(
  x: tf.Tensor3D,
  w: Qwen3LayerWeights<LinearWeight>,
  ctx: DecoderLayerContext,
): tf.Tensor3D {
  return tf.tidy(() => {
    const r = qwen3DecoderLayerDeferred(x, undefined, w, ctx);
    return tf.add(r.x, r.pending) as tf.Tensor3D;
  });
}

/**
 * The layer with its last residual add left to the caller: the stream comes in as x + `pending` (the previous
 * layer's MLP output, or nothing), and goes out as `x` (the stream before this layer's MLP output) and `pending`
 * (that output). Each residual add then goes into the next RMSNorm with addRmsNorm: at inference on webgpu, one
 * dispatch for both, with the same values as the add and the norm apart.
 */
export function qwen3DecoderLayerDeferred(
  x: tf.Tensor3D,
  pending: tf.Tensor3D | undefined,
  w: Qwen3LayerWeights<LinearWeight>,
  ctx: DecoderLayerContext,
): { x: tf.Tensor3D; pending: tf.Tensor3D } {
  return tf.tidy(() => {
    const eps = ctx.config.rmsNormEps;
    const { sum: xin, y: h } = pending
      ? addRmsNorm(x, pending, w.inputNorm, eps)
      : { sum: x, y: rmsNorm(x, w.inputNorm, eps) };
    const attn = qwen3AttentionDelta(h as tf.Tensor3D, w, ctx);
    const { sum: x1, y: h2 } = addRmsNorm(xin, attn, w.postAttentionNorm, eps);
    return { x: x1 as tf.Tensor3D, pending: qwen3Mlp(h2 as tf.Tensor3D, w, ctx) };
  });
}

/** The layer as its two residual blocks, with the LoRA modules each uses (for staged checkpointing). */
export function qwen3LayerStages(
  w: Qwen3LayerWeights<LinearWeight>,
): { run: (x: tf.Tensor3D, ctx: DecoderLayerContext) => tf.Tensor3D; keys: Qwen3ModuleKey[] }[] {
  return [
    { run: (x, ctx) => qwen3AttentionBlock(x, w, ctx), keys: ['q', 'k', 'v', 'o'] },
    { run: (x, ctx) => qwen3MlpBlock(x, w, ctx), keys: ['gate', 'up', 'down'] },
  ];
}

/**
 * The layers `keys`, which all read x, each with its LoRA branch; their branches' x·Aᵀ in one dispatch where a
 * decoding step's GEMVs take it (shared-low-rank.ts).
 */
function linearsOf(
  x: tf.Tensor,
  w: Qwen3LayerWeights<LinearWeight>,
  ctx: DecoderLayerContext,
  keys: readonly Qwen3ModuleKey[],
): tf.Tensor[] {
  const seeds = keys.map((k) => ctx.dropoutSeeds?.[k]);
  const x2 = tf.reshape(x, [-1, x.shape[x.rank - 1]!]) as tf.Tensor2D;
  const pairs = withSharedLowRank(
    x2,
    keys.map((k) => w[k]),
    keys.map((k) => ctx.lora[k]),
    seeds,
  );
  return keys.map((k, i) => linear(x, w[k], pairs[i], seeds[i]));
}

/** x + o(attention(rope(norm(q)), rope(norm(k)), v)) over norm(x). */
function qwen3AttentionBlock(
  x: tf.Tensor3D,
  w: Qwen3LayerWeights<LinearWeight>,
  ctx: DecoderLayerContext,
): tf.Tensor3D {
  return tf.tidy(
    () =>
      tf.add(
        x,
        qwen3AttentionDelta(rmsNorm(x, w.inputNorm, ctx.config.rmsNormEps) as tf.Tensor3D, w, ctx),
      ) as tf.Tensor3D,
  );
}

/** What the attention block adds to the residual stream: o(attention(rope(norm(q)), rope(norm(k)), v)) of h = norm(x). */
function qwen3AttentionDelta(
  h: tf.Tensor3D,
  w: Qwen3LayerWeights<LinearWeight>,
  ctx: DecoderLayerContext,
): tf.Tensor3D {
  return tf.tidy(() => {
    const c = ctx.config;
    const [b, t] = h.shape;
    const nh = c.numAttentionHeads;
    const nkv = c.numKeyValueHeads;
    const d = c.headDim;
    // q, k and v read the same h.
    const [qp, kp, vp] = linearsOf(h, w, ctx, ['q', 'k', 'v']);

    // q/k RMSNorm is over each head's vector (before RoPE), as in HF Qwen3Attention.
    const { q, k: k0 } = qkNormRope(
      qp!,
      kp!,
      { q: w.qNorm, k: w.kNorm },
      { cos: ctx.cos, sin: ctx.sin },
      { b, t, hq: nh, hk: nkv, d },
      c.rmsNormEps,
    );
    let k = k0;
    let v = splitHeads(vp!, nkv);
    if (ctx.extendKv) ({ k, v } = ctx.extendKv(k, v));
    const kb = ctx.keyBias;
    const seen = ctx.everyRowSeesAKey;
    const mask =
      kb && (seen || fusedAttentionTakes(q, k, v, kb, true))
        ? { bias: kb, causal: true, everyRowSeesAKey: seen }
        : { bias: ctx.bias };
    const attn = attention(q, k, v, { ...mask, chunkBytes: ctx.scoreChunkBytes, replay: ctx.attentionReplay });
    return linearsOf(mergeHeads(attn), w, ctx, ['o'])[0] as tf.Tensor3D;
  });
}

/** x + down(silu(gate(norm(x))) · up(norm(x))). */
function qwen3MlpBlock(x1: tf.Tensor3D, w: Qwen3LayerWeights<LinearWeight>, ctx: DecoderLayerContext): tf.Tensor3D {
  return tf.tidy(
    () =>
      tf.add(
        x1,
        qwen3Mlp(rmsNorm(x1, w.postAttentionNorm, ctx.config.rmsNormEps) as tf.Tensor3D, w, ctx),
      ) as tf.Tensor3D,
  );
}

/** down(silu(gate(h)) · up(h)) of the normed stream h. */
function qwen3Mlp(h: tf.Tensor3D, w: Qwen3LayerWeights<LinearWeight>, ctx: DecoderLayerContext): tf.Tensor3D {
  return tf.tidy(() => {
    const gated = swiGluLinear(
      h,
      w.gate,
      w.up,
      { gate: ctx.lora.gate, up: ctx.lora.up },
      { gate: ctx.dropoutSeeds?.gate, up: ctx.dropoutSeeds?.up },
    );
    return linearsOf(gated, w, ctx, ['down'])[0] as tf.Tensor3D;
  });
}
