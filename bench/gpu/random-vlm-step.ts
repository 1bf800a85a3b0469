/**
 * A random Qwen3 VLM training step for the dispatch-counting benches (fused-elementwise-dispatches,
 * step-dispatches): the model from `config` (f32 embedding and head, linear weights from
 * `weight`), LoRA r16 on all 7 modules with non-zero B (every LoRA gradient exercised), a linear
 * projector, and one batch of random features and ids. `step()` runs loss and backward as the
 * trainer does (per-layer checkpointing) and reads everything back; it returns the loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  LoraAdapter,
  Projector,
  Qwen3ForCausalLM,
  SEED_LORA_CONFIG,
  qwen3ExpectedShapes,
  vlmLossAndGrads,
  type LinearWeight,
  type Qwen3Config,
} from '@kvc/models';
import { randomQwen3Layers } from './random-qwen3-layers.js';

export interface RandomVlmBatch {
  readonly batch: number;
  readonly visionTokens: number;
  readonly textTokens: number;
  readonly visionHidden: number;
}

export async function randomVlmStep(
  config: Qwen3Config,
  b: RandomVlmBatch,
  weight: (t: tf.Tensor2D) => LinearWeight = (t) => t,
): Promise<() => Promise<number>> {
  const shapes = qwen3ExpectedShapes(config);
  let seed = 1;
  const rand = (shape: readonly number[], std = 0.02) => tf.randomNormal([...shape], 0, std, 'float32', seed++);
  const lin = (name: string) => ({ weight: weight(rand(shapes.get(`${name}.weight`)!) as tf.Tensor2D) });
  const model = new Qwen3ForCausalLM(config, {
    embedTokens: rand(shapes.get('model.embed_tokens.weight')!) as tf.Tensor2D,
    layers: randomQwen3Layers(config, lin),
    norm: tf.ones([config.hiddenSize]) as tf.Tensor1D,
    lmHead: config.tieWordEmbeddings ? undefined : (rand(shapes.get('lm_head.weight')!) as tf.Tensor2D),
  });
  const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, loraDropout: 0 }, 1);
  for (const [n, v] of lora.variables()) if (n.includes('lora_B')) v.assign(rand(v.shape, 0.01));
  const projector = Projector.create('linear', b.visionHidden, config.hiddenSize, 1);
  const trainable = new Map([...projector.variables('projector.'), ...lora.variables()]);
  const feats = rand([b.batch, b.visionTokens, b.visionHidden], 1) as tf.Tensor3D;
  const ids = tf.randomUniform([b.batch, b.textTokens], 0, config.vocabSize - 2, 'int32', 7) as tf.Tensor2D;
  const mask = tf.ones([b.batch, b.textTokens], 'int32') as tf.Tensor2D;
  const labels = (await ids.data()) as Int32Array;
  return async () => {
    const batch = { visionFeatures: feats, inputIds: ids, attentionMask: mask, labels };
    const { loss, grads } = await vlmLossAndGrads({ model, projector, lora }, batch, trainable, {
      checkpointLayers: true,
    });
    const l = (await loss.data())[0]!;
    for (const g of grads.values()) await g.data();
    tf.dispose([loss, ...grads.values()]);
    return l;
  };
}
