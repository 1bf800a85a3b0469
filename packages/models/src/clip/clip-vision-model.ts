/**
 * CLIP's vision tower (HF CLIPVisionModel) in tfjs: patch embedding (conv as matmul over
 * patches, no bias), class token, position embeddings, `pre_layrnorm`, pre-LN encoder with
 * the config's activation (quick_gelu), `post_layernorm` on the class token for the pooler.
 * Reads `clip_vision_model` checkpoints and the vision half of full `clip` ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from '../errors.js';
import { Checkpoint } from '../io/checkpoint.js';
import { readJsonConfig } from '../io/read-config.js';
import { resolveModelDir, type ResolveOptions } from '../io/resolve-model-dir.js';
import { getActivation, type Activation } from '../nn/activations.js';
import { layerNorm, type LayerNormWeights } from '../nn/layer-norm.js';
import { linear, type AnyLinearWeights } from '../nn/linear.js';
import { patchify } from '../nn/patchify.js';
import { loadPreLnLayer, preLnLayer, preLnLayerShapes, type PreLnLayerWeights } from '../nn/pre-ln-encoder-layer.js';
import { WeightLoader, layerNormShapes } from '../nn/weight-loader.js';
import { clipNumPositions, parseClipVisionConfig, type ClipVisionConfig } from './clip-vision-config.js';
import { checkPrecision, type Precision } from '../nn/precision.js';
import { hiddenStateIndex } from '../nn/hidden-state-index.js';

// A type alias (not an interface) so tf.tidy accepts it as a TensorContainer.
export type ClipVisionOutput = {
  /** [N, 1 + patches, H], the encoder output before post_layernorm (CLS first). */
  readonly lastHiddenState: tf.Tensor3D;
  /** [N, H], post_layernorm of the CLS token. */
  readonly poolerOutput: tf.Tensor2D;
  /** The requested `hidden_states[k]` (0 = embeddings after pre_layrnorm, L = last layer), in request order. */
  readonly hiddenStates: tf.Tensor3D[];
};

export interface ClipLoadOptions extends ResolveOptions {
  /** Overrides of parsed config values (tests, experiments). */
  readonly config?: Partial<ClipVisionConfig>;
  /** Frozen linear weights in f32 (default) or f16 on WebGPU (nn/precision.ts). */
  readonly precision?: Precision;
}

/** The tower's weights as the forward reads them: checkpoint layout, the patch conv as a linear layer (no bias). */
export interface ClipVisionWeights {
  readonly patch: AnyLinearWeights;
  readonly classEmbedding: tf.Tensor1D;
  readonly positions: tf.Tensor2D;
  readonly preLn: LayerNormWeights;
  readonly layers: readonly PreLnLayerWeights[];
  readonly postLn: LayerNormWeights;
}

/** Expected tensors of the vision tower under `prefix`. */
export function clipVisionShapes(c: ClipVisionConfig, prefix = ''): Map<string, number[]> {
  const h = c.hiddenSize;
  const entries: [string, number[]][] = [
    ['embeddings.class_embedding', [h]],
    ['embeddings.patch_embedding.weight', [h, c.numChannels, c.patchSize, c.patchSize]],
    ['embeddings.position_embedding.weight', [clipNumPositions(c), h]],
    ...layerNormShapes('pre_layrnorm', h),
    ...layerNormShapes('post_layernorm', h),
  ];
  for (let i = 0; i < c.numHiddenLayers; i++)
    entries.push(...preLnLayerShapes(`encoder.layers.${i}.`, h, c.intermediateSize));
  return new Map(entries.map(([n, s]) => [prefix + n, s]));
}

export class ClipVisionModel {
  private readonly act: Activation;

  private constructor(
    readonly config: ClipVisionConfig,
    private readonly w: ClipVisionWeights,
    private readonly loader: WeightLoader,
  ) {
    this.act = getActivation(config.hiddenAct);
  }

  /** Loads from a folder or hub id (config.json + safetensors). */
  static async load(nameOrDir: string, opts: ClipLoadOptions = {}): Promise<ClipVisionModel> {
    const dir = await resolveModelDir(nameOrDir, opts);
    const raw = await readJsonConfig(dir);
    const config = { ...parseClipVisionConfig(raw, `${dir}/config.json`), ...opts.config };
    checkPrecision(opts.precision ?? 'f32');
    const ckpt = await Checkpoint.open(dir);
    try {
      return await ClipVisionModel.fromCheckpoint(ckpt, config, opts.precision);
    } finally {
      await ckpt.close();
    }
  }

  /** Builds from an open checkpoint; a full CLIPModel's `vision_model.` prefix is detected. */
  static async fromCheckpoint(
    ckpt: Checkpoint,
    config: ClipVisionConfig,
    precision: Precision = 'f32',
  ): Promise<ClipVisionModel> {
    const prefix = ckpt.has('vision_model.embeddings.class_embedding') ? 'vision_model.' : '';
    ckpt.validate(clipVisionShapes(config, prefix), {
      ignore: (n) => !n.startsWith(prefix) || n.endsWith('position_ids'),
    });
    const l = new WeightLoader(ckpt, prefix, precision);
    try {
      const patch = await l.patchConv('embeddings.patch_embedding', false);
      const layers: PreLnLayerWeights[] = [];
      for (let i = 0; i < config.numHiddenLayers; i++) layers.push(await loadPreLnLayer(l, `encoder.layers.${i}.`));
      const w: ClipVisionWeights = {
        patch,
        classEmbedding: (await l.tensor('embeddings.class_embedding')) as tf.Tensor1D,
        positions: (await l.tensor('embeddings.position_embedding.weight')) as tf.Tensor2D,
        preLn: await l.layerNorm('pre_layrnorm'),
        layers,
        postLn: await l.layerNorm('post_layernorm'),
      };
      return new ClipVisionModel(config, w, l);
    } catch (err) {
      l.dispose();
      throw err;
    }
  }

  /**
   * Runs the tower on pixel values [N, C, S, S] (NCHW, as HF). `hiddenStates` picks
   * `hidden_states[k]` to return (negative k from the end: -2 is LLaVA's penultimate layer).
   */
  forward(pixelValues: tf.Tensor4D, opts: { hiddenStates?: readonly number[] } = {}): ClipVisionOutput {
    const L = this.config.numHiddenLayers;
    const wanted = (opts.hiddenStates ?? []).map((k) => this.layerIndex(k));
    return tf.tidy(() => {
      const states: tf.Tensor3D[] = [];
      let x = this.embed(pixelValues);
      states.push(x);
      for (let i = 0; i < L; i++) {
        x = preLnLayer(x, this.w.layers[i]!, {
          numHeads: this.config.numAttentionHeads,
          eps: this.config.layerNormEps,
          act: this.act,
        });
        states.push(x);
      }
      const cls = tf.squeeze(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [1]);
      return {
        lastHiddenState: x,
        poolerOutput: layerNorm(cls, this.w.postLn, this.config.layerNormEps) as tf.Tensor2D,
        hiddenStates: wanted.map((k) => tf.clone(states[k]!)),
      };
    });
  }

  /** Only `hidden_states[k]` [N, 1 + patches, H], running just the layers it needs. */
  hiddenState(pixelValues: tf.Tensor4D, k: number): tf.Tensor3D {
    const upTo = this.layerIndex(k);
    this.checkPixels(pixelValues);
    return clipVisionHiddenState(this.config, this.w, pixelValues, upTo);
  }

  dispose(): void {
    this.loader.dispose();
  }

  private layerIndex(k: number): number {
    return hiddenStateIndex(k, this.config.numHiddenLayers);
  }

  private checkPixels(pixelValues: tf.Tensor4D): void {
    const c = this.config;
    const [, ch, h, w] = pixelValues.shape;
    if (ch !== c.numChannels || h !== c.imageSize || w !== c.imageSize) {
      throw new ModelsError(
        'E_INPUT_SHAPE',
        `pixel values [${pixelValues.shape.join(',')}] do not match the model's [N,${c.numChannels},${c.imageSize},${c.imageSize}]`,
        { shape: pixelValues.shape, image_size: c.imageSize },
        "preprocess frames with the model's image processor (preprocessor_config.json)",
      );
    }
  }

  private embed(pixelValues: tf.Tensor4D): tf.Tensor3D {
    this.checkPixels(pixelValues);
    return clipVisionHiddenState(this.config, this.w, pixelValues, 0);
  }
}

/**
 * `hidden_states[upTo]` [N, 1 + patches, H]: patch + class embeddings + positions, pre_layrnorm
 * (hidden_states[0]), then `upTo` pre-LN blocks. Plain tfjs ops on `w`, so it is differentiable
 * when `w` is built from variables (vision pretraining runs exactly this forward).
 */
export function clipVisionHiddenState(
  c: ClipVisionConfig,
  w: ClipVisionWeights,
  pixelValues: tf.Tensor4D,
  upTo: number,
): tf.Tensor3D {
  const act = getActivation(c.hiddenAct);
  return tf.tidy(() => {
    const n = pixelValues.shape[0];
    const patches = linear(patchify(pixelValues, c.patchSize), w.patch);
    const cls = tf.tile(tf.reshape(w.classEmbedding, [1, 1, c.hiddenSize]), [n, 1, 1]);
    let x = layerNorm(tf.add(tf.concat([cls, patches], 1), w.positions), w.preLn, c.layerNormEps) as tf.Tensor3D;
    for (let i = 0; i < upTo; i++)
      x = preLnLayer(x, w.layers[i]!, { numHeads: c.numAttentionHeads, eps: c.layerNormEps, act });
    return x;
  });
}
