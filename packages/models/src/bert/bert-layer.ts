/**
 * One post-LayerNorm BERT encoder layer (HF BertLayer): x = LN(x + dense(MHA(x))), then
 * x = LN(x + output(act(intermediate(x)))), with the padding bias added on attention scores.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../nn/activations.js';
import { layerNorm, type LayerNormWeights } from '../nn/layer-norm.js';
import { linear, type AnyLinearWeights } from '../nn/linear.js';
import { attention } from '../nn/attention.js';
import { mergeHeads, splitHeads } from '../nn/heads.js';
import { layerNormShapes, linearShapes, type WeightLoader } from '../nn/weight-loader.js';

export interface BertLayerWeights {
  readonly query: AnyLinearWeights;
  readonly key: AnyLinearWeights;
  readonly value: AnyLinearWeights;
  readonly attnOut: AnyLinearWeights;
  readonly attnLn: LayerNormWeights;
  readonly intermediate: AnyLinearWeights;
  readonly output: AnyLinearWeights;
  readonly outLn: LayerNormWeights;
}

export function bertLayerShapes(p: string, hidden: number, inter: number): [string, number[]][] {
  return [
    ...linearShapes(`${p}attention.self.query`, hidden, hidden),
    ...linearShapes(`${p}attention.self.key`, hidden, hidden),
    ...linearShapes(`${p}attention.self.value`, hidden, hidden),
    ...linearShapes(`${p}attention.output.dense`, hidden, hidden),
    ...layerNormShapes(`${p}attention.output.LayerNorm`, hidden),
    ...linearShapes(`${p}intermediate.dense`, hidden, inter),
    ...linearShapes(`${p}output.dense`, inter, hidden),
    ...layerNormShapes(`${p}output.LayerNorm`, hidden),
  ];
}

export async function loadBertLayer(w: WeightLoader, p: string): Promise<BertLayerWeights> {
  return {
    query: await w.linear(`${p}attention.self.query`),
    key: await w.linear(`${p}attention.self.key`),
    value: await w.linear(`${p}attention.self.value`),
    attnOut: await w.linear(`${p}attention.output.dense`),
    attnLn: await w.layerNorm(`${p}attention.output.LayerNorm`),
    intermediate: await w.linear(`${p}intermediate.dense`),
    output: await w.linear(`${p}output.dense`),
    outLn: await w.layerNorm(`${p}output.LayerNorm`),
  };
}

export interface BertLayerOptions {
  readonly numHeads: number;
  readonly eps: number;
  readonly act: Activation;
  /** The padding bias [B, 1, 1, T] (paddingAttentionBias). */
  readonly mask?: tf.Tensor4D | undefined;
}

export function bertLayer(x: tf.Tensor3D, w: BertLayerWeights, o: BertLayerOptions): tf.Tensor3D {
  return tf.tidy(() => {
    const heads = (l: AnyLinearWeights) => splitHeads(linear(x, l), o.numHeads);
    const a = mergeHeads(attention(heads(w.query), heads(w.key), heads(w.value), { bias: o.mask }));
    const x1 = layerNorm(tf.add(linear(a, w.attnOut), x), w.attnLn, o.eps);
    const m = linear(o.act(linear(x1, w.intermediate)), w.output);
    return layerNorm(tf.add(m, x1), w.outLn, o.eps) as tf.Tensor3D;
  });
}
