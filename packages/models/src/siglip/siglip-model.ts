/**
 * SiglipModel in tfjs: both towers, `logit_scale` and `logit_bias`, and HF's logits:
 * logits_per_text = normalize(text) @ normalize(image)^T * exp(logit_scale) + logit_bias,
 * logits_per_image = its transpose. Reads SigLIP and fixed-resolution SigLIP2 checkpoints.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Checkpoint } from '../io/checkpoint.js';
import { readJsonConfig } from '../io/read-config.js';
import { resolveModelDir, type ResolveOptions } from '../io/resolve-model-dir.js';
import { getActivation } from '../nn/activations.js';
import { WeightLoader } from '../nn/weight-loader.js';
import {
  parseSiglipConfig,
  type SiglipConfig,
  type SiglipTextConfig,
  type SiglipVisionConfig,
} from './siglip-config.js';
import { loadSiglipText, siglipTextForward, siglipTextShapes, type SiglipTextWeights } from './siglip-text-tower.js';
import { checkPrecision, type Precision } from '../nn/precision.js';
import {
  loadSiglipVision,
  siglipVisionForward,
  siglipVisionShapes,
  type SiglipVisionWeights,
} from './siglip-vision-tower.js';

// A type alias (not an interface) so tf.tidy accepts it as a TensorContainer.
export type SiglipOutput = {
  /** [numImages, numTexts] */
  readonly logitsPerImage: tf.Tensor2D;
  /** [numTexts, numImages] */
  readonly logitsPerText: tf.Tensor2D;
  /** L2-normalised image embeddings [numImages, H]. */
  readonly imageEmbeds: tf.Tensor2D;
  /** L2-normalised text embeddings [numTexts, P]. */
  readonly textEmbeds: tf.Tensor2D;
};

export interface SiglipLoadOptions extends ResolveOptions {
  /** Overrides of parsed config values (tests, experiments). */
  readonly config?: { readonly vision?: Partial<SiglipVisionConfig>; readonly text?: Partial<SiglipTextConfig> };
  /** Frozen linear weights in f32 (default) or f16 on WebGPU (nn/precision.ts). */
  readonly precision?: Precision;
}

export class SiglipModel {
  private constructor(
    readonly config: SiglipConfig,
    private readonly vision: SiglipVisionWeights,
    private readonly text: SiglipTextWeights,
    /** The stored (log) temperature: logits are scaled by exp(logitScale). */
    readonly logitScale: number,
    readonly logitBias: number,
    private readonly loader: WeightLoader,
  ) {}

  static async load(nameOrDir: string, opts: SiglipLoadOptions = {}): Promise<SiglipModel> {
    const dir = await resolveModelDir(nameOrDir, opts);
    const parsed = parseSiglipConfig(await readJsonConfig(dir), `${dir}/config.json`);
    const config: SiglipConfig = {
      vision: { ...parsed.vision, ...opts.config?.vision },
      text: { ...parsed.text, ...opts.config?.text },
    };
    getActivation(config.vision.hiddenAct);
    getActivation(config.text.hiddenAct);
    checkPrecision(opts.precision ?? 'f32');
    const ckpt = await Checkpoint.open(dir);
    const l = new WeightLoader(ckpt, '', opts.precision);
    try {
      ckpt.validate(
        new Map([
          ...siglipVisionShapes(config.vision, 'vision_model.'),
          ...siglipTextShapes(config.text, 'text_model.'),
          ['logit_scale', [1]],
          ['logit_bias', [1]],
        ]),
        {
          ignore: (n) => n.endsWith('position_ids'),
        },
      );
      const vision = await loadSiglipVision(l.child('vision_model.'), config.vision);
      const text = await loadSiglipText(l.child('text_model.'), config.text);
      const scale = (await ckpt.readFloat32('logit_scale'))[0]!;
      const bias = (await ckpt.readFloat32('logit_bias'))[0]!;
      return new SiglipModel(config, vision, text, scale, bias, l);
    } catch (err) {
      l.dispose();
      throw err;
    } finally {
      await ckpt.close();
    }
  }

  /** Image embeddings [N, H] (the head's pooled output, not normalised) of pixels [N, C, S, S]. */
  getImageFeatures(pixelValues: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(
      () =>
        siglipVisionForward(pixelValues, this.vision, this.config.vision, getActivation(this.config.vision.hiddenAct))
          .pooled,
    );
  }

  /** Text embeddings [B, P] (not normalised) of ids [B, T]; no attention mask by default, as SigLIP is trained. */
  getTextFeatures(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(
      () =>
        siglipTextForward(
          inputIds,
          this.text,
          this.config.text,
          getActivation(this.config.text.hiddenAct),
          attentionMask,
        ).pooled,
    );
  }

  /** Logits from embeddings (normalised here), e.g. cached per video: [numImages, numTexts]. */
  logitsFromEmbeds(imageEmbeds: tf.Tensor2D, textEmbeds: tf.Tensor2D): SiglipOutput {
    return tf.tidy(() => {
      const img = l2normalize(imageEmbeds);
      const txt = l2normalize(textEmbeds);
      const logitsPerText = tf.add(
        tf.mul(tf.matMul(txt, img, false, true), Math.exp(this.logitScale)),
        this.logitBias,
      ) as tf.Tensor2D;
      return { logitsPerImage: tf.transpose(logitsPerText), logitsPerText, imageEmbeds: img, textEmbeds: txt };
    });
  }

  /** Both towers and the logits (HF SiglipModel.forward). */
  forward(pixelValues: tf.Tensor4D, inputIds: tf.Tensor2D, opts: { attentionMask?: tf.Tensor2D } = {}): SiglipOutput {
    return tf.tidy(() =>
      this.logitsFromEmbeds(this.getImageFeatures(pixelValues), this.getTextFeatures(inputIds, opts.attentionMask)),
    );
  }

  dispose(): void {
    this.loader.dispose();
  }
}

/** x / ||x||_2 along the last axis (torch's `x / x.norm(p=2, dim=-1, keepdim=True)`). */
function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.sum(tf.square(x), -1, true))));
}
