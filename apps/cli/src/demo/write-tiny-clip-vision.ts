/**
 * A tiny random CLIPVisionModel in Hugging Face's layout (config.json, model.safetensors,
 * preprocessor_config.json as CLIPImageProcessor), sized for the CPU demo. The weights are
 * random but scaled so the residual stream keeps what the patch embedding saw: each block adds
 * a small update to its input, so colors and positions of the frame survive to the last layer.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLIP_MEAN,
  CLIP_STD,
  ConfigError,
  SeededRandom,
  clipVisionShapes,
  parseClipVisionConfig,
  writeSafetensors,
  type TensorToWrite,
} from '@kvc/models';

export interface TinyClipVisionOptions {
  /** Square input side in pixels (default 32). */
  readonly imageSize?: number;
  /** Patch side (default 8: a 4×4 grid, 16 patch tokens per frame). */
  readonly patchSize?: number;
  readonly hiddenSize?: number;
  readonly numLayers?: number;
  readonly numHeads?: number;
  /** MLP width (default 4 × hidden, as CLIP). */
  readonly intermediateSize?: number;
  readonly seed?: number;
}

/** The config.json of the tiny tower (HF field names). */
export function tinyClipVisionConfigJson(o: TinyClipVisionOptions = {}): Record<string, unknown> {
  const hidden = o.hiddenSize ?? 64;
  const imageSize = o.imageSize ?? 32;
  const patchSize = o.patchSize ?? 8;
  if (imageSize % patchSize !== 0) {
    throw new ConfigError(
      'E_CONFIG_INVALID',
      `image size ${imageSize} is not a multiple of the patch size ${patchSize}`,
      { imageSize, patchSize },
    );
  }
  return {
    architectures: ['CLIPVisionModel'],
    model_type: 'clip_vision_model',
    hidden_size: hidden,
    intermediate_size: o.intermediateSize ?? 4 * hidden,
    num_hidden_layers: o.numLayers ?? 2,
    num_attention_heads: o.numHeads ?? 4,
    num_channels: 3,
    image_size: imageSize,
    patch_size: patchSize,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    torch_dtype: 'float32',
  };
}

/** preprocessor_config.json: CLIP's mean/std, bicubic, shortest edge and crop = image size. */
export function tinyClipPreprocessorJson(imageSize: number): Record<string, unknown> {
  return {
    image_processor_type: 'CLIPImageProcessor',
    do_resize: true,
    size: { shortest_edge: imageSize },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: imageSize, width: imageSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [...CLIP_MEAN],
    image_std: [...CLIP_STD],
    do_convert_rgb: true,
  };
}

/** Uniform bound giving standard deviation `std`. */
const u = (std: number): number => std * Math.sqrt(3);

/** Writes the folder; returns its config.json object. */
export async function writeTinyClipVision(
  dir: string,
  opts: TinyClipVisionOptions = {},
): Promise<Record<string, unknown>> {
  const json = tinyClipVisionConfigJson(opts);
  const c = parseClipVisionConfig(json);
  const rng = new SeededRandom(opts.seed ?? 1);
  const h = c.hiddenSize;
  const fanPatch = c.numChannels * c.patchSize * c.patchSize;
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, shape] of clipVisionShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (/(layer_?norm\d?|layrnorm)\.weight$/.test(name)) data = new Float32Array(n).fill(1);
    else if (name.endsWith('.bias')) data = new Float32Array(n);
    // Unit-variance patch embeddings: every pixel of the patch moves the token.
    else if (name.endsWith('patch_embedding.weight'))
      data = rng.uniform(n, -u(1 / Math.sqrt(fanPatch)), u(1 / Math.sqrt(fanPatch)));
    // Positions as strong as content, so pre_layrnorm keeps where a patch is.
    else if (name.endsWith('position_embedding.weight')) data = rng.uniform(n, -u(1), u(1));
    else if (name.endsWith('class_embedding')) data = rng.uniform(n, -u(0.5), u(0.5));
    // Blocks: small updates (std 0.5/√fan_in) so the residual stream stays close to its input.
    else data = rng.uniform(n, -u(0.5 / Math.sqrt(shape[1] ?? h)), u(0.5 / Math.sqrt(shape[1] ?? h)));
    tensors[name] = { dtype: 'F32', shape, data };
  }
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  await writeFile(join(dir, 'config.json'), JSON.stringify(json, null, 2));
  await writeFile(
    join(dir, 'preprocessor_config.json'),
    JSON.stringify(tinyClipPreprocessorJson(c.imageSize), null, 2),
  );
  return json;
}
