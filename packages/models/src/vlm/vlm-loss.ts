/**
 * The seed's `forward_with_cache` in TensorFlow.js: logits, the mean next-token
 * cross-entropy over unmasked targets, and its gradients with respect to the trainable
 * variables only (projector, and LoRA in stage 2; base weights are frozen tensors).
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBackendErrorsAsync } from '../engine/backend-op-error.js';
import { streamedGrads } from '../engine/streamed-grads.js';
import { gpuPacer } from '../gpu/gpu-pacer.js';
import type { SeededRandom } from '../engine/seeded-random.js';
import type { LoraProvider } from '../lora/lora-provider.js';
import type { Projector } from '../projector/projector.js';
import type { LayerCheckpointing } from '../nn/checkpointed.js';
import type { LinearWeight } from '../nn/linear.js';
import type { Qwen3ForCausalLM } from '../qwen3/qwen3-for-causal-lm.js';
import { chunkedCrossEntropy } from './chunked-cross-entropy.js';
import { targetRuns, vlmInputs, type VlmBatch } from './vlm-batch.js';

export interface VlmParts {
  readonly model: Qwen3ForCausalLM<LinearWeight>;
  readonly projector: Projector;
  readonly lora?: LoraProvider;
}

export interface VlmLossOptions {
  /** Rows of logits computed at once in the loss (default: ~256 MB of logits). */
  readonly lossChunkRows?: number;
  /** Recompute decoder layers in backward (less memory, ~1.3× compute); see Qwen3ForwardInput.checkpointLayers. */
  readonly checkpointLayers?: LayerCheckpointing;
  /** Largest attention-score block in bytes (default 256 MiB; long sequences attend in query chunks). */
  readonly attentionChunkBytes?: number;
  /** Training: LoRA dropout seeds are drawn from it (no dropout when absent). */
  readonly dropoutRng?: SeededRandom;
  /** See Qwen3ForwardInput.layerHook. */
  readonly layerHook?: (layer: number, x: tf.Tensor3D) => tf.Tensor3D;
  /**
   * vlmLossAndGrads: the loss is multiplied by this before the backward pass (dynamic loss scaling for f16,
   * so small gradients survive f16 GEMM inputs); the gradients come back scaled, the returned loss does not.
   */
  readonly lossScale?: number;
}

/** Logits [B, V+T, vocab] of the assembled sequence (for inspection and parity). */
export function vlmLogits(parts: VlmParts, batch: VlmBatch): tf.Tensor3D {
  return tf.tidy(() => {
    const { inputsEmbeds, attentionMask } = vlmInputs(parts.model, parts.projector, batch);
    return parts.model.logits({ inputsEmbeds, attentionMask, ...(parts.lora ? { lora: parts.lora } : {}) });
  });
}

/** Mean cross-entropy over every label ≠ -100 (shifted by one), as HF's ForCausalLMLoss. */
export function vlmLoss(parts: VlmParts, batch: VlmBatch, opts: VlmLossOptions = {}): tf.Scalar {
  if (!batch.labels) throw new TypeError('vlmLoss: the batch has no labels');
  const labels = batch.labels;
  return tf.tidy(() => {
    const [b, nv] = batch.visionFeatures.shape;
    const t = batch.inputIds.shape[1];
    if (labels.length !== b * t)
      throw new RangeError(`vlmLoss: labels has ${labels.length} entries, input_ids ${b}×${t}`);
    const { inputsEmbeds, attentionMask } = vlmInputs(parts.model, parts.projector, batch);
    const hidden = parts.model.forward({
      inputsEmbeds,
      attentionMask,
      // The vision prefix is never padded: every query sees its first token.
      everyRowSeesAKey: nv > 0,
      ...(parts.lora ? { lora: parts.lora } : {}),
      ...(opts.dropoutRng ? { dropoutRng: opts.dropoutRng } : {}),
      ...(opts.checkpointLayers ? { checkpointLayers: opts.checkpointLayers } : {}),
      ...(opts.attentionChunkBytes ? { attentionChunkBytes: opts.attentionChunkBytes } : {}),
      ...(opts.layerHook ? { layerHook: opts.layerHook } : {}),
    });
    const h2 = tf.reshape(hidden, [-1, hidden.shape[2]]) as tf.Tensor2D;
    const { runs, targets } = targetRuns(labels, b, t, nv);
    const rows =
      runs.length === 1
        ? tf.slice(h2, [runs[0]![0], 0], [runs[0]![1], -1])
        : runs.length
          ? tf.concat(
              runs.map(([s, n]) => tf.slice(h2, [s, 0], [n, -1])),
              0,
            )
          : tf.zeros([0, h2.shape[1]]);
    return chunkedCrossEntropy(rows as tf.Tensor2D, parts.model.lmHeadWeight, targets, opts.lossChunkRows);
  });
}

/**
 * Loss and gradients with respect to `trainable` (name → variable, e.g. the projector's
 * and the adapter's variables). The caller owns the returned tensors.
 *
 * The backward is tfjs's, walked by streamedGrads: each layer's saved input and incoming gradient
 * are freed once its backward has run, and on WebGPU the walk waits on the GPU when the buffers
 * the pool destroyed and the GPU has not given back pass the pool's bound (gpu/gpu-pacer.ts).
 */
export async function vlmLossAndGrads(
  parts: VlmParts,
  batch: VlmBatch,
  trainable: ReadonlyMap<string, tf.Variable>,
  opts: VlmLossOptions = {},
): Promise<{ loss: tf.Scalar; grads: Map<string, tf.Tensor> }> {
  // As tf.variableGrads: a variable marked not trainable gets no gradient (a zero one here).
  const names = [...trainable.keys()].filter((n) => trainable.get(n)!.trainable);
  const vars = names.map((n) => trainable.get(n)!);
  if (!vars.length) throw new RangeError('vlmLossAndGrads: no trainable variable');
  const scale = opts.lossScale ?? 1;
  let unscaled: tf.Scalar | undefined;
  const pace = gpuPacer();
  const backward = withBackendErrorsAsync('the VLM backward pass', () =>
    streamedGrads(
      () => {
        const loss = vlmLoss(parts, batch, opts);
        if (scale === 1) return loss;
        // The loss itself is returned, not scaled/scale: a scale too large gives inf gradients (a skipped step)
        // but must not make the reported loss inf.
        unscaled = tf.keep(loss);
        return tf.mul(loss, scale) as tf.Scalar;
      },
      vars,
      pace,
    ),
  );
  const { value: scaled, grads } = await backward.catch((err: unknown) => {
    unscaled?.dispose(); // kept outside the failed step's scopes
    throw err;
  });
  const value = unscaled ?? scaled;
  if (value !== scaled) scaled.dispose();
  const got = new Map(names.map((n, i) => [n, grads[i]]));
  const out = new Map<string, tf.Tensor>();
  for (const [name, v] of trainable) {
    // A variable the loss does not depend on gets a zero gradient (as torch's .grad would be None → treated as 0).
    out.set(name, got.get(name) ?? tf.zerosLike(v));
  }
  return { loss: value, grads: out };
}
