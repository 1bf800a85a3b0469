/**
 * SigLIP's vision tower: patch embedding (conv with bias, as a matmul over patches), position
 * embeddings (no class token), pre-LN encoder, `post_layernorm`, and the attention-pooling
 * head (MultiheadAttentionPoolingHead: a learned probe attends over the patches through
 * torch nn.MultiheadAttention, then residual LayerNorm + MLP) giving the image embedding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from '../errors.js';
import type { Activation } from '../nn/activations.js';
import { layerNorm, type LayerNormWeights } from '../nn/layer-norm.js';
import { linear, type AnyLinearWeights } from '../nn/linear.js';
import { attention } from '../nn/attention.js';
import { mergeHeads, splitHeads } from '../nn/heads.js';
import { patchesAlong, patchify } from '../nn/patchify.js';
import { loadPreLnLayer, preLnLayer, preLnLayerShapes, type PreLnLayerWeights } from '../nn/pre-ln-encoder-layer.js';
import { layerNormShapes, linearShapes, type WeightLoader } from '../nn/weight-loader.js';
import type { SiglipVisionConfig } from './siglip-config.js';

export interface SiglipVisionWeights {
  readonly patch: AnyLinearWeights;
  readonly positions: tf.Tensor2D;
  readonly layers: readonly PreLnLayerWeights[];
  readonly postLn: LayerNormWeights;
  readonly head: {
    readonly probe: tf.Tensor;
    readonly q: AnyLinearWeights;
    readonly k: AnyLinearWeights;
    readonly v: AnyLinearWeights;
    readonly o: AnyLinearWeights;
    readonly ln: LayerNormWeights;
    readonly fc1: AnyLinearWeights;
    readonly fc2: AnyLinearWeights;
  };
}

export function siglipVisionShapes(c: SiglipVisionConfig, prefix: string): [string, number[]][] {
  const h = c.hiddenSize;
  const out: [string, number[]][] = [
    ['embeddings.patch_embedding.weight', [h, c.numChannels, c.patchSize, c.patchSize]],
    ['embeddings.patch_embedding.bias', [h]],
    // Whole patches only (so400m-patch14-384: 27² = 729 positions).
    ['embeddings.position_embedding.weight', [patchesAlong(c.imageSize, c.patchSize) ** 2, h]],
    ...layerNormShapes('post_layernorm', h),
    ['head.probe', [1, 1, h]],
    ['head.attention.in_proj_weight', [3 * h, h]],
    ['head.attention.in_proj_bias', [3 * h]],
    ...linearShapes('head.attention.out_proj', h, h),
    ...layerNormShapes('head.layernorm', h),
    ...linearShapes('head.mlp.fc1', h, c.intermediateSize),
    ...linearShapes('head.mlp.fc2', c.intermediateSize, h),
  ];
  for (let i = 0; i < c.numHiddenLayers; i++)
    out.push(...preLnLayerShapes(`encoder.layers.${i}.`, h, c.intermediateSize));
  return out.map(([n, s]) => [prefix + n, s]);
}

export async function loadSiglipVision(l: WeightLoader, c: SiglipVisionConfig): Promise<SiglipVisionWeights> {
  const layers: PreLnLayerWeights[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) layers.push(await loadPreLnLayer(l, `encoder.layers.${i}.`));
  // nn.MultiheadAttention packs q, k, v as rows of one [3H, H] matrix: three linears in torch layout.
  const inW = await l.tensor('head.attention.in_proj_weight');
  const inB = await l.tensor('head.attention.in_proj_bias');
  const qkvW = (tf.split(inW, 3, 0) as tf.Tensor2D[]).map((w) => l.frozenWeight(w));
  const qkvB = tf.split(inB, 3, 0) as tf.Tensor1D[];
  l.created.push(...qkvB);
  const part = (i: number): AnyLinearWeights => ({ weight: qkvW[i]!, bias: qkvB[i]! });
  return {
    patch: await l.patchConv('embeddings.patch_embedding', true),
    positions: (await l.tensor('embeddings.position_embedding.weight')) as tf.Tensor2D,
    layers,
    postLn: await l.layerNorm('post_layernorm'),
    head: {
      probe: await l.tensor('head.probe'),
      q: part(0),
      k: part(1),
      v: part(2),
      o: await l.linear('head.attention.out_proj'),
      ln: await l.layerNorm('head.layernorm'),
      fc1: await l.linear('head.mlp.fc1'),
      fc2: await l.linear('head.mlp.fc2'),
    },
  };
}

/** pixels [N, C, S, S] → { lastHiddenState [N, P, H] (after post_layernorm), pooled [N, H] (head) }. */
export function siglipVisionForward(
  pixels: tf.Tensor4D,
  w: SiglipVisionWeights,
  c: SiglipVisionConfig,
  act: Activation,
): { lastHiddenState: tf.Tensor3D; pooled: tf.Tensor2D } {
  const [n, ch, hh, ww] = pixels.shape;
  if (ch !== c.numChannels || hh !== c.imageSize || ww !== c.imageSize) {
    throw new ModelsError(
      'E_INPUT_SHAPE',
      `pixel values [${pixels.shape.join(',')}] do not match the model's [N,${c.numChannels},${c.imageSize},${c.imageSize}]`,
      { shape: pixels.shape, image_size: c.imageSize },
      "preprocess frames with the model's image processor (preprocessor_config.json)",
    );
  }
  return tf.tidy(() => {
    let x = tf.add(linear(patchify(pixels, c.patchSize), w.patch), w.positions) as tf.Tensor3D;
    for (const layer of w.layers) x = preLnLayer(x, layer, { numHeads: c.numAttentionHeads, eps: c.layerNormEps, act });
    const last = layerNorm(x, w.postLn, c.layerNormEps) as tf.Tensor3D;
    const hd = w.head;
    const probe = tf.tile(hd.probe, [n, 1, 1]) as tf.Tensor3D;
    const heads = (x3: tf.Tensor, l: AnyLinearWeights) => splitHeads(linear(x3, l), c.numAttentionHeads);
    const attn = linear(mergeHeads(attention(heads(probe, hd.q), heads(last, hd.k), heads(last, hd.v))), hd.o);
    const pooled = tf.add(attn, linear(act(linear(layerNorm(attn, hd.ln, c.layerNormEps), hd.fc1)), hd.fc2));
    return { lastHiddenState: last, pooled: tf.reshape(pooled, [n, c.hiddenSize]) as tf.Tensor2D };
  });
}
