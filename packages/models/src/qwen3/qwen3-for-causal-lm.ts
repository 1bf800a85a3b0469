/**
 * Qwen3ForCausalLM in TensorFlow.js with frozen base weights (plain tensors, never
 * variables: only LoRA and projector variables get gradients). `forward` returns the final
 * hidden states; `lmHead` maps them to logits, so a loss can compute logits in chunks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import type { SeededRandom } from '../engine/seeded-random.js';
import type { LoraProvider } from '../lora/lora-provider.js';
import { causalAttentionBias, paddingAttentionBias } from '../nn/attention-bias.js';
import { checkpointed, type LayerCheckpointing } from '../nn/checkpointed.js';
import type { KvCache } from '../nn/kv-cache.js';
import { F16Matrix } from '../gpu/f16-matrix.js';
import type { LinearWeight, LoraPair } from '../nn/linear.js';
import { frozenLinearWeight, weightTensors } from '../nn/precision.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { dequantizeNf4Matrix } from '../quant/nf4-matmul.js';
import { nf4MatrixFromTensor } from '../quant/nf4-matrix-from-host.js';
import { addRmsNorm, rmsNorm } from '../nn/rms-norm.js';
import { gatherRows, matMulTransposed, rowMatrixTensors, type RowMatrix } from '../nn/row-matrix.js';
import { ropeCosSin } from '../nn/rotary.js';
import type { Qwen3Config } from './qwen3-config.js';
import {
  qwen3DecoderLayer,
  qwen3DecoderLayerDeferred,
  qwen3LayerStages,
  type DecoderLayerContext,
  type Qwen3ModuleKey,
} from './qwen3-decoder-layer.js';
import { qwen3LinearModules, type Qwen3Weights } from './qwen3-weights.js';

export interface Qwen3ForwardInput {
  /** Token ids [B, T] (int32); or give `inputsEmbeds`. */
  readonly inputIds?: tf.Tensor2D;
  readonly inputsEmbeds?: tf.Tensor3D;
  /** Mask of the new tokens [B, T] (1 real, 0 pad); with a cache, the past mask is in the cache. Default all ones. */
  readonly attentionMask?: tf.Tensor2D;
  /** Positions [B, T] (int32). Default: cache length + arange(T), as HF does without position_ids. */
  readonly positionIds?: tf.Tensor2D;
  readonly cache?: KvCache;
  readonly lora?: LoraProvider;
  /** Training: draws LoRA dropout seeds (no dropout when absent). */
  readonly dropoutRng?: SeededRandom;
  /**
   * Recompute each decoder layer in backward instead of keeping its activations; `keep-stage-inputs`
   * keeps the MLP's input per layer to skip recomputing attention once more, `keep-attention` also
   * the attention's output and statistics, so that the recompute skips the attention forward too
   * (nn/checkpointed.ts).
   */
  readonly checkpointLayers?: LayerCheckpointing;
  /**
   * Every sequence starts with a token the mask keeps (no left padding; the VLM's vision prefix), so
   * with no cache every query sees a key: attention may then skip, per query chunk, the keys past
   * its diagonal (attention.ts `everyRowSeesAKey`). Unset: only the fused kernels skip them.
   */
  readonly everyRowSeesAKey?: boolean;
  /** Largest attention-score block in bytes (long sequences attend in query chunks). */
  readonly attentionChunkBytes?: number;
  /**
   * Sees (and may wrap) the residual stream: the input embeddings as layer -1, then each decoder layer's
   * output; what it returns goes on. Locating the first non-finite activation or gradient uses it.
   */
  readonly layerHook?: (layer: number, x: tf.Tensor3D) => tf.Tensor3D;
}

const MODULE_KEYS: readonly Qwen3ModuleKey[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/** `W`: the kind of its frozen linear weights (f32 tensors by default; see LoadQwen3Options.precision). */
export class Qwen3ForCausalLM<W extends LinearWeight = tf.Tensor2D> {
  private disposed = false;

  /**
   * Takes ownership of `weights` (or only of `owned`, when the weights are shared with
   * another model, as a LoRA-merged copy shares every unadapted tensor).
   */
  constructor(
    readonly config: Qwen3Config,
    readonly weights: Qwen3Weights<W>,
    private readonly owned?: readonly tf.Tensor[],
  ) {}

  /**
   * A copy with LoRA merged into the base weights (W + scaling·B·A) for inference: same
   * outputs, no LoRA matmuls. Shares unadapted tensors with this model; dispose it first.
   * An f16 weight is merged in f32 and rounded back to f16 once (as loading it rounded W). An NF4
   * weight is dequantized, merged in f32 and quantized to NF4 again, as PEFT merges into a 4-bit
   * base (so outputs move by that rounding; its scales are the f32 form, without double quantization).
   */
  withMergedLora(lora: LoraProvider): Qwen3ForCausalLM<W> {
    const owned: tf.Tensor[] = [];
    const layers = this.weights.layers.map((l, i) => {
      const paths = qwen3LinearModules(this.config, i);
      const merged = { ...l };
      for (const key of MODULE_KEYS) {
        const pair = lora.pair(paths[key][0]);
        if (!pair) continue;
        const w = mergedWeight(l[key].weight, () => tf.mul(tf.matMul(pair.b, pair.a), pair.scaling)) as W;
        owned.push(...weightTensors(w));
        merged[key] = { ...l[key], weight: w };
      }
      return merged;
    });
    return new Qwen3ForCausalLM(this.config, { ...this.weights, layers }, owned);
  }

  /** Every linear module path → [out, in] (what LoRA can adapt). */
  linearModules(): Map<string, readonly [number, number]> {
    const m = new Map<string, readonly [number, number]>();
    for (let i = 0; i < this.config.numHiddenLayers; i++) {
      for (const [path, out, inp] of Object.values(qwen3LinearModules(this.config, i))) m.set(path, [out, inp]);
    }
    return m;
  }

  /** The output projection [V, H] (the embedding matrix when tied). */
  get lmHeadWeight(): RowMatrix {
    return this.weights.lmHead ?? this.weights.embedTokens;
  }

  /** Token embeddings [B, T, H] of int32 ids [B, T]. */
  embed(ids: tf.Tensor2D): tf.Tensor3D {
    return gatherRows(this.weights.embedTokens, ids) as tf.Tensor3D;
  }

  /** Final hidden states (after the last RMSNorm) [B, T, H]. */
  forward(input: Qwen3ForwardInput): tf.Tensor3D {
    return tf.tidy(() => {
      const c = this.config;
      const x0 = input.inputsEmbeds ?? (input.inputIds ? this.embed(input.inputIds) : undefined);
      if (!x0) throw new TypeError('Qwen3ForCausalLM.forward: give inputIds or inputsEmbeds');
      const [b, t] = x0.shape;
      const past = input.cache?.length ?? 0;
      const newMask = tf.cast(input.attentionMask ?? tf.ones([b, t]), 'float32') as tf.Tensor2D;
      const { keyMask, queryStart } = input.cache ? input.cache.begin(newMask) : { keyMask: newMask, queryStart: 0 };
      const positions =
        input.positionIds ?? (tf.tile(tf.reshape(tf.range(past, past + t, 1, 'int32'), [1, t]), [b, 1]) as tf.Tensor2D);
      const { cos, sin } = ropeCosSin(positions, c.headDim, c.ropeTheta);
      // One new token over a cache: the keys after it are the unwritten ones, masked in the cache's mask, so the
      // padding bias is the causal bias, value for value, and uses nothing the host knows of the step (which
      // lets a decoding step be recorded once and replayed: gpu/recorded-step.ts).
      const bias = input.cache && t === 1 ? paddingAttentionBias(keyMask) : causalAttentionBias(keyMask, t, queryStart);
      const keyBias = queryStart === keyMask.shape[1] - t ? paddingAttentionBias(keyMask) : undefined;
      const hook = input.layerHook;
      let x = hook ? hook(-1, x0) : x0;
      // Without a hook (which sees every layer's output) or checkpointing, each layer's last residual add goes
      // into the next RMSNorm (qwen3DecoderLayerDeferred): `pending` is what the stream still has to add.
      let pending: tf.Tensor3D | undefined;
      for (let i = 0; i < c.numHiddenLayers; i++) {
        const lora: Partial<Record<Qwen3ModuleKey, LoraPair>> = {};
        const seeds: Partial<Record<Qwen3ModuleKey, number>> = {};
        const paths = qwen3LinearModules(c, i);
        for (const key of MODULE_KEYS) {
          const pair = input.lora?.pair(paths[key][0]);
          if (pair) {
            lora[key] = pair;
            if (input.dropoutRng && pair.dropout > 0) seeds[key] = input.dropoutRng.int31();
          }
        }
        const cache = input.cache;
        const ctx: DecoderLayerContext = {
          config: c,
          cos,
          sin,
          bias,
          keyBias,
          everyRowSeesAKey: input.everyRowSeesAKey && !cache,
          lora,
          dropoutSeeds: seeds,
          ...(input.attentionChunkBytes ? { scoreChunkBytes: input.attentionChunkBytes } : {}),
          ...(cache ? { extendKv: (k, v) => cache.update(i, k, v) } : {}),
        };
        const w = this.weights.layers[i]!;
        const checkpoint = input.checkpointLayers && !cache;
        if (!hook && !checkpoint) {
          const prev = [x, pending];
          ({ x, pending } = qwen3DecoderLayerDeferred(x, pending, w, ctx));
          // With no gradient tape, a layer's inputs are dead once its outputs exist: free them now, not at the
          // end of the forward (a 4620-token prefix holds 19 MB a layer per sequence).
          if (!tapeRecording()) for (const p of prev) if (p && p !== x0) p.dispose();
          continue;
        }
        const prev = x;
        x = checkpoint
          ? checkpointed(x, ctx, qwen3LayerStages(w), {
              keepStageInputs:
                input.checkpointLayers === 'keep-stage-inputs' || input.checkpointLayers === 'keep-attention',
              keepAttention: input.checkpointLayers === 'keep-attention',
            })
          : qwen3DecoderLayer(x, w, ctx);
        // A hook may keep what it saw; otherwise a layer's input is dead once the next exists.
        if (hook) x = hook(i, x);
        else if (prev !== x0 && !tapeRecording()) prev.dispose();
      }
      const norm = this.weights.norm;
      return (pending ? addRmsNorm(x, pending, norm, c.rmsNormEps).y : rmsNorm(x, norm, c.rmsNormEps)) as tf.Tensor3D;
    });
  }

  /** Logits [..., V] of hidden states [..., H]. */
  lmHead(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = hidden.shape[hidden.shape.length - 1]!;
      const y = matMulTransposed(tf.reshape(hidden, [-1, h]) as tf.Tensor2D, this.lmHeadWeight);
      return tf.reshape(y, [...hidden.shape.slice(0, -1), this.config.vocabSize]);
    });
  }

  /** forward + lmHead: logits [B, T, V]. */
  logits(input: Qwen3ForwardInput): tf.Tensor3D {
    return tf.tidy(() => this.lmHead(this.forward(input)) as tf.Tensor3D);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owned) {
      for (const t of this.owned) t.dispose();
      return;
    }
    const w = this.weights;
    const all: (tf.Tensor | undefined)[] = [
      ...rowMatrixTensors(w.embedTokens),
      w.norm,
      ...(w.lmHead ? rowMatrixTensors(w.lmHead) : []),
    ];
    for (const l of w.layers) {
      all.push(l.inputNorm, l.postAttentionNorm, l.qNorm, l.kNorm);
      for (const key of MODULE_KEYS) all.push(...weightTensors(l[key].weight), l[key].bias);
    }
    for (const t of all) if (t && !t.isDisposed) t.dispose();
  }
}

/** W + delta in W's own form (f16 and NF4 weights are merged in f32 and stored back in their form). */
function mergedWeight(base: LinearWeight, delta: () => tf.Tensor): LinearWeight {
  const sum = (w: () => tf.Tensor2D) => tf.tidy(() => tf.add(w(), delta()) as tf.Tensor2D);
  if (base instanceof F16Matrix) {
    const merged = sum(() => base.toTensor());
    return frozenLinearWeight(merged, 'f16');
  }
  if (base instanceof Nf4Matrix) {
    const merged = sum(() => dequantizeNf4Matrix(base));
    return nf4MatrixFromTensor(merged, { blocksize: base.blocksize });
  }
  return sum(() => base);
}
