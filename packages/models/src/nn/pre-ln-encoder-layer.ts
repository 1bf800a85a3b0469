/**
 * The pre-LayerNorm transformer block CLIP and SigLIP share (same tensor names):
 * x + out_proj(MHA(layer_norm1(x))), then + fc2(act(fc1(layer_norm2(x)))).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from './activations.js';
import { layerNorm, type LayerNormWeights } from './layer-norm.js';
import { linear, type AnyLinearWeights } from './linear.js';
import { attention } from './attention.js';
import { mergeHeads, splitHeads } from './heads.js';
import { layerNormShapes, linearShapes, type WeightLoader } from './weight-loader.js';

export interface PreLnLayerWeights {
  readonly layerNorm1: LayerNormWeights;
  readonly q: AnyLinearWeights;
  readonly k: AnyLinearWeights;
  readonly v: AnyLinearWeights;
  readonly o: AnyLinearWeights;
  readonly layerNorm2: LayerNormWeights;
  readonly fc1: AnyLinearWeights;
  readonly fc2: AnyLinearWeights;
}

export interface PreLnLayerOptions {
  readonly numHeads: number;
  readonly eps: number;
  readonly act: Activation;
  /** Additive padding bias [B, 1, 1, T] (paddingAttentionBias). */
  readonly mask?: tf.Tensor4D | undefined;
}

/** Names and shapes of one layer under `prefix` (e.g. `encoder.layers.0.`). */
export function preLnLayerShapes(prefix: string, hidden: number, intermediate: number): [string, number[]][] {
  return [
    ...layerNormShapes(`${prefix}layer_norm1`, hidden),
    ...linearShapes(`${prefix}self_attn.q_proj`, hidden, hidden),
    ...linearShapes(`${prefix}self_attn.k_proj`, hidden, hidden),
    ...linearShapes(`${prefix}self_attn.v_proj`, hidden, hidden),
    ...linearShapes(`${prefix}self_attn.out_proj`, hidden, hidden),
    ...layerNormShapes(`${prefix}layer_norm2`, hidden),
    ...linearShapes(`${prefix}mlp.fc1`, hidden, intermediate),
    ...linearShapes(`${prefix}mlp.fc2`, intermediate, hidden),
  ];
}

export async function loadPreLnLayer(w: WeightLoader, prefix: string): Promise<PreLnLayerWeights> {
  return {
    layerNorm1: await w.layerNorm(`${prefix}layer_norm1`),
    q: await w.linear(`${prefix}self_attn.q_proj`),
    k: await w.linear(`${prefix}self_attn.k_proj`),
    v: await w.linear(`${prefix}self_attn.v_proj`),
    o: await w.linear(`${prefix}self_attn.out_proj`),
    layerNorm2: await w.layerNorm(`${prefix}layer_norm2`),
    fc1: await w.linear(`${prefix}mlp.fc1`),
    fc2: await w.linear(`${prefix}mlp.fc2`),
  };
}

/** One block: x [B, T, H] → [B, T, H]. */
export function preLnLayer(x: tf.Tensor3D, w: PreLnLayerWeights, o: PreLnLayerOptions): tf.Tensor3D {
  return tf.tidy(() => {
    const h = layerNorm(x, w.layerNorm1, o.eps) as tf.Tensor3D;
    const heads = (l: AnyLinearWeights) => splitHeads(linear(h, l), o.numHeads);
    const attn = mergeHeads(attention(heads(w.q), heads(w.k), heads(w.v), { bias: o.mask }));
    const x1 = tf.add(x, linear(attn, w.o));
    const m = linear(o.act(linear(layerNorm(x1, w.layerNorm2, o.eps), w.fc1)), w.fc2);
    return tf.add(x1, m) as tf.Tensor3D;
  });
}
