/**
 * Where did an inf or NaN first appear? Runs one micro-batch's forward and backward again with a
 * probe on the residual stream after the input embeddings and after every decoder layer (the
 * Qwen3 `layerHook`): forward, the first layer whose output is not finite; backward, the first
 * gradient (from the loss down) that is not, then the trainable gradients by name (a LoRA name
 * says layer and module). A probe is `sum(x − x)`: 0 when every element is finite, NaN otherwise,
 * one scalar per place, read once after the pass. Costs one extra forward and backward, so the
 * trainer calls it only when a run is about to fail (or when asked to, `checkNonFinite`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { vlmLossAndGrads, type LayerCheckpointing, type VlmBatch } from '@kvc/models';
import type { TrainParts } from './trainer-types.js';

/** Where the first non-finite value is (undefined fields: nothing non-finite there). */
export interface NonFiniteLocation {
  /** First residual-stream place whose forward value is not finite, e.g. `Qwen3 layer 3 (model.layers.3) output`. */
  readonly activation?: string;
  /** First place, from the loss down, whose gradient is not finite. */
  readonly gradient?: string;
  /** Trainable parameters whose gradient is not finite (first 5, in model order). */
  readonly parameters: readonly string[];
  readonly loss: number;
}

const placeName = (layer: number): string =>
  layer < 0
    ? 'input embeddings (projector output + token embeddings)'
    : `Qwen3 layer ${layer} (model.layers.${layer}) output`;

/** One sentence for an error message. */
export function describeNonFinite(l: NonFiniteLocation): string {
  const parts: string[] = [];
  if (l.activation) parts.push(`first non-finite activation: ${l.activation}`);
  if (l.gradient) parts.push(`first non-finite gradient (backward from the loss): ${l.gradient}`);
  if (l.parameters.length) parts.push(`non-finite parameter gradients: ${l.parameters.join(', ')}`);
  if (!Number.isFinite(l.loss) && !l.activation) parts.push('the loss itself (logits or cross-entropy) is not finite');
  return parts.length ? parts.join('; ') : 'no non-finite value in a rerun of this micro-batch';
}

export async function locateNonFinite(
  parts: TrainParts,
  batch: VlmBatch,
  trainable: ReadonlyMap<string, tf.Variable>,
  opts: { readonly lossScale?: number; readonly checkpointLayers?: LayerCheckpointing } = {},
): Promise<NonFiniteLocation> {
  const forward = new Map<number, tf.Scalar>();
  const backward = new Map<number, tf.Scalar>();
  const probe = (x: tf.Tensor): tf.Scalar => tf.keep(tf.sum(tf.sub(x, x)));
  const layerHook = (layer: number, x: tf.Tensor3D): tf.Tensor3D => {
    // A recomputed (checkpointed) layer calls the hook again: keep the first probe.
    if (!forward.has(layer)) forward.set(layer, probe(x));
    const identity = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => {
        if (!backward.has(layer)) backward.set(layer, probe(dy));
        return dy;
      },
    }));
    return identity(x) as tf.Tensor3D;
  };
  const { loss, grads } = await vlmLossAndGrads(parts, batch, trainable, {
    layerHook,
    ...(opts.lossScale ? { lossScale: opts.lossScale } : {}),
    ...(opts.checkpointLayers ? { checkpointLayers: opts.checkpointLayers } : {}),
  });
  try {
    const bad = async (t: tf.Tensor): Promise<boolean> => !Number.isFinite((await t.data())[0]!);
    const badAll = async (g: tf.Tensor): Promise<boolean> => {
      const p = tf.tidy(() => tf.sum(tf.sub(g, g)));
      try {
        return await bad(p);
      } finally {
        p.dispose();
      }
    };
    const sorted = (m: Map<number, tf.Scalar>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
    let activation: string | undefined;
    for (const [layer, t] of sorted(forward)) if (!activation && (await bad(t))) activation = placeName(layer);
    let gradient: string | undefined;
    for (const [layer, t] of sorted(backward).reverse()) if (!gradient && (await bad(t))) gradient = placeName(layer);
    const parameters: string[] = [];
    for (const [name, g] of grads) {
      if (parameters.length < 5 && (await badAll(g))) parameters.push(name);
    }
    return {
      ...(activation ? { activation } : {}),
      ...(gradient ? { gradient } : {}),
      parameters,
      loss: (await loss.data())[0]!,
    };
  } finally {
    tf.dispose([loss, ...grads.values(), ...forward.values(), ...backward.values()]);
  }
}
