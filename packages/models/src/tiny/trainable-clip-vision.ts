/**
 * A CLIP vision tower whose every weight is a tfjs variable in the checkpoint's own (torch)
 * layout, with a differentiable forward to the last hidden state: what vision pretraining
 * trains, then writes back under the same names so `ClipVisionModel.load` reads it unchanged.
 * The forward is ClipVisionModel's (patch matmul, CLS, positions, pre_layrnorm, pre-LN blocks),
 * built from the same nn-vision pieces; a test holds the two equal.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { clipVisionShapes } from '../clip/clip-vision-model.js';
import { parseClipVisionConfig, type ClipVisionConfig } from '../clip/clip-vision-config.js';
import { Checkpoint } from '../io/checkpoint.js';
import { readJsonConfig } from '../io/read-config.js';
import { writeSafetensors, type TensorToWrite } from '../io/write-safetensors.js';
import { getActivation } from '../nn-vision/activations.js';
import { layerNorm, type LayerNormWeights } from '../nn-vision/layer-norm.js';
import type { LinearWeights } from '../nn-vision/linear.js';
import { convWeightAsMatrix, patchify } from '../nn-vision/patchify.js';
import { preLnLayer, type PreLnLayerWeights } from '../nn-vision/pre-ln-encoder-layer.js';

export class TrainableClipVision {
  private constructor(
    readonly config: ClipVisionConfig,
    /** Checkpoint name → variable, torch shapes. */
    readonly weights: ReadonlyMap<string, tf.Variable>,
  ) {}

  /** Reads a `clip_vision_model` folder (config.json + model.safetensors, no prefix). */
  static async load(dir: string): Promise<TrainableClipVision> {
    const config = parseClipVisionConfig(await readJsonConfig(dir), join(dir, 'config.json'));
    const ckpt = await Checkpoint.open(dir);
    const weights = new Map<string, tf.Variable>();
    try {
      const shapes = clipVisionShapes(config);
      ckpt.validate(shapes, { ignore: (n) => n.endsWith('position_ids') });
      for (const [name, shape] of shapes) {
        const t = tf.tensor(await ckpt.readFloat32(name), shape, 'float32');
        weights.set(name, tf.variable(t, true));
        t.dispose();
      }
    } catch (err) {
      tf.dispose([...weights.values()]);
      throw err;
    } finally {
      await ckpt.close();
    }
    return new TrainableClipVision(config, weights);
  }

  /** Every weight the patch tokens depend on (all but `post_layernorm`, which only the pooler reads). */
  get variables(): tf.Variable[] {
    return [...this.weights].filter(([n]) => !n.startsWith('post_layernorm.')).map(([, v]) => v);
  }

  /** Patch tokens of the last hidden state [N, patches, H] (CLS dropped), differentiable. */
  patchTokens(pixelValues: tf.Tensor4D): tf.Tensor3D {
    const c = this.config;
    const w = (n: string) => this.weights.get(n)!;
    const lin = (p: string): LinearWeights => ({ weightT: tf.transpose(w(`${p}.weight`)) as tf.Tensor2D, bias: w(`${p}.bias`) as tf.Tensor1D });
    const ln = (p: string): LayerNormWeights => ({ weight: w(`${p}.weight`) as tf.Tensor1D, bias: w(`${p}.bias`) as tf.Tensor1D });
    return tf.tidy(() => {
      const n = pixelValues.shape[0];
      const patch = convWeightAsMatrix(w('embeddings.patch_embedding.weight'));
      const rows = tf.reshape(patchify(pixelValues, c.patchSize), [-1, patch.shape[0]]);
      const patches = tf.reshape(tf.matMul(rows, patch), [n, -1, c.hiddenSize]);
      const cls = tf.tile(tf.reshape(w('embeddings.class_embedding'), [1, 1, c.hiddenSize]), [n, 1, 1]);
      let x = layerNorm(tf.add(tf.concat([cls, patches], 1), w('embeddings.position_embedding.weight')), ln('pre_layrnorm'), c.layerNormEps) as tf.Tensor3D;
      const act = getActivation(c.hiddenAct);
      for (let i = 0; i < c.numHiddenLayers; i++) {
        const p = `encoder.layers.${i}.`;
        const layer: PreLnLayerWeights = {
          layerNorm1: ln(`${p}layer_norm1`), q: lin(`${p}self_attn.q_proj`), k: lin(`${p}self_attn.k_proj`), v: lin(`${p}self_attn.v_proj`),
          o: lin(`${p}self_attn.out_proj`), layerNorm2: ln(`${p}layer_norm2`), fc1: lin(`${p}mlp.fc1`), fc2: lin(`${p}mlp.fc2`),
        };
        x = preLnLayer(x, layer, { numHeads: c.numAttentionHeads, eps: c.layerNormEps, act });
      }
      return tf.slice(x, [0, 1, 0], [-1, -1, -1]);
    });
  }

  /** Writes the weights as `dir/model.safetensors` (same names, shapes, float32). */
  async save(dir: string): Promise<void> {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, v] of this.weights) tensors[name] = { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array };
    await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  }

  dispose(): void {
    tf.dispose([...this.weights.values()]);
  }
}
