/**
 * A CLIP vision tower whose every weight is a tfjs variable in the checkpoint's own (torch)
 * layout, with a differentiable forward to the last hidden state: what vision pretraining
 * trains, then writes back under the same names so `ClipVisionModel.load` reads it unchanged.
 * The forward is ClipVisionModel's own (`clipVisionHiddenState`) on weights built from the
 * variables inside the tape; a test holds the two equal.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import {
  Checkpoint,
  clipVisionHiddenState,
  clipVisionShapes,
  convAsLinearWeight,
  parseClipVisionConfig,
  readJsonConfig,
  writeSafetensors,
  type ClipVisionConfig,
  type ClipVisionWeights,
  type LayerNormWeights,
  type LinearWeights,
  type PreLnLayerWeights,
  type TensorToWrite,
} from '@kvc/models';

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
    const lin = (p: string): LinearWeights => ({
      weight: w(`${p}.weight`) as tf.Tensor2D,
      bias: w(`${p}.bias`) as tf.Tensor1D,
    });
    const ln = (p: string): LayerNormWeights => ({
      weight: w(`${p}.weight`) as tf.Tensor1D,
      bias: w(`${p}.bias`) as tf.Tensor1D,
    });
    return tf.tidy(() => {
      // Built inside the caller's gradient tape: the patch reshape is differentiated too.
      const weights: ClipVisionWeights = {
        patch: { weight: convAsLinearWeight(w('embeddings.patch_embedding.weight')) },
        classEmbedding: w('embeddings.class_embedding') as tf.Tensor1D,
        positions: w('embeddings.position_embedding.weight') as tf.Tensor2D,
        preLn: ln('pre_layrnorm'),
        postLn: ln('post_layernorm'),
        layers: Array.from({ length: c.numHiddenLayers }, (_, i): PreLnLayerWeights => {
          const p = `encoder.layers.${i}.`;
          return {
            layerNorm1: ln(`${p}layer_norm1`),
            q: lin(`${p}self_attn.q_proj`),
            k: lin(`${p}self_attn.k_proj`),
            v: lin(`${p}self_attn.v_proj`),
            o: lin(`${p}self_attn.out_proj`),
            layerNorm2: ln(`${p}layer_norm2`),
            fc1: lin(`${p}mlp.fc1`),
            fc2: lin(`${p}mlp.fc2`),
          };
        }),
      };
      const x = clipVisionHiddenState(c, weights, pixelValues, c.numHiddenLayers);
      return tf.slice(x, [0, 1, 0], [-1, -1, -1]);
    });
  }

  /** Writes the weights as `dir/model.safetensors` (same names, shapes, float32). */
  async save(dir: string): Promise<void> {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, v] of this.weights)
      tensors[name] = { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array };
    await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  }

  dispose(): void {
    tf.dispose([...this.weights.values()]);
  }
}
