/**
 * SigLIP's text tower: token + position embeddings, pre-LN encoder, `final_layer_norm`, and
 * the pooled output = the LAST position's hidden state through the `head` linear (SigLIP pads
 * to a fixed length and was trained without an attention mask, so the last token is a pad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from '../errors.js';
import type { Activation } from '../nn/activations.js';
import { layerNorm, type LayerNormWeights } from '../nn/layer-norm.js';
import { linear, type AnyLinearWeights } from '../nn/linear.js';
import { paddingAttentionBias } from '../nn/attention-bias.js';
import { loadPreLnLayer, preLnLayer, preLnLayerShapes, type PreLnLayerWeights } from '../nn/pre-ln-encoder-layer.js';
import { layerNormShapes, linearShapes, type WeightLoader } from '../nn/weight-loader.js';
import type { SiglipTextConfig } from './siglip-config.js';

export interface SiglipTextWeights {
  readonly tokens: tf.Tensor2D;
  readonly positions: tf.Tensor2D;
  readonly layers: readonly PreLnLayerWeights[];
  readonly finalLn: LayerNormWeights;
  readonly head: AnyLinearWeights;
}

export function siglipTextShapes(c: SiglipTextConfig, prefix: string): [string, number[]][] {
  const h = c.hiddenSize;
  const out: [string, number[]][] = [
    ['embeddings.token_embedding.weight', [c.vocabSize, h]],
    ['embeddings.position_embedding.weight', [c.maxPositionEmbeddings, h]],
    ...layerNormShapes('final_layer_norm', h),
    ...linearShapes('head', h, c.projectionSize),
  ];
  for (let i = 0; i < c.numHiddenLayers; i++)
    out.push(...preLnLayerShapes(`encoder.layers.${i}.`, h, c.intermediateSize));
  return out.map(([n, s]) => [prefix + n, s]);
}

export async function loadSiglipText(l: WeightLoader, c: SiglipTextConfig): Promise<SiglipTextWeights> {
  const layers: PreLnLayerWeights[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) layers.push(await loadPreLnLayer(l, `encoder.layers.${i}.`));
  return {
    tokens: (await l.tensor('embeddings.token_embedding.weight')) as tf.Tensor2D,
    positions: (await l.tensor('embeddings.position_embedding.weight')) as tf.Tensor2D,
    layers,
    finalLn: await l.layerNorm('final_layer_norm'),
    head: await l.linear('head'),
  };
}

/**
 * ids [B, T] (int32) → { lastHiddenState [B, T, H], pooled [B, P] }. `attentionMask` [B, T]
 * is optional and off by default, as SigLIP was trained.
 */
export function siglipTextForward(
  inputIds: tf.Tensor2D,
  w: SiglipTextWeights,
  c: SiglipTextConfig,
  act: Activation,
  attentionMask?: tf.Tensor2D,
): { lastHiddenState: tf.Tensor3D; pooled: tf.Tensor2D } {
  const [b, t] = inputIds.shape;
  if (t > c.maxPositionEmbeddings) {
    throw new ModelsError(
      'E_INPUT_SHAPE',
      `text of ${t} tokens exceeds max_position_embeddings ${c.maxPositionEmbeddings}`,
      { length: t, max: c.maxPositionEmbeddings },
      "tokenize with truncation to the model's max length (64)",
    );
  }
  return tf.tidy(() => {
    const ids = tf.cast(inputIds, 'int32');
    let x = tf.add(
      tf.reshape(tf.gather(w.tokens, tf.reshape(ids, [-1])), [b, t, c.hiddenSize]),
      tf.slice(w.positions, [0, 0], [t, -1]),
    ) as tf.Tensor3D;
    const mask = attentionMask ? paddingAttentionBias(attentionMask) : undefined;
    const opts = { numHeads: c.numAttentionHeads, eps: c.layerNormEps, act, mask };
    for (const layer of w.layers) x = preLnLayer(x, layer, opts);
    const last = layerNorm(x, w.finalLn, c.layerNormEps) as tf.Tensor3D;
    const lastToken = tf.reshape(tf.slice(last, [0, t - 1, 0], [b, 1, c.hiddenSize]), [b, c.hiddenSize]);
    return { lastHiddenState: last, pooled: linear(lastToken, w.head) as tf.Tensor2D };
  });
}
