/**
 * `preprocessor_config.json` of CLIPImageProcessor / SiglipImageProcessor as a typed, validated
 * object, with each class's HF defaults for absent fields.
 */
import { ConfigError } from '../errors.js';
import { PIL_FILTERS, type PilFilterId } from './pil-resample.js';

export type ResizeSpec = { readonly shortestEdge: number } | { readonly height: number; readonly width: number };

export interface ImageProcessorConfig {
  readonly doResize: boolean;
  readonly size: ResizeSpec;
  readonly resample: PilFilterId;
  readonly doCenterCrop: boolean;
  readonly cropSize: { readonly height: number; readonly width: number };
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  readonly imageMean: readonly [number, number, number];
  readonly imageStd: readonly [number, number, number];
}

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** HF defaults per processor class (what `from_pretrained` fills in for absent fields). */
const DEFAULTS: Readonly<Record<string, Omit<ImageProcessorConfig, 'doRescale' | 'rescaleFactor' | 'doNormalize'>>> = {
  CLIPImageProcessor: {
    doResize: true,
    size: { shortestEdge: 224 },
    resample: PIL_FILTERS.BICUBIC,
    doCenterCrop: true,
    cropSize: { height: 224, width: 224 },
    imageMean: CLIP_MEAN,
    imageStd: CLIP_STD,
  },
  SiglipImageProcessor: {
    doResize: true,
    size: { height: 224, width: 224 },
    resample: PIL_FILTERS.BILINEAR,
    doCenterCrop: false,
    cropSize: { height: 224, width: 224 },
    imageMean: [0.5, 0.5, 0.5],
    imageStd: [0.5, 0.5, 0.5],
  },
};

export function parseImageProcessorConfig(raw: Readonly<Record<string, unknown>>, file?: string): ImageProcessorConfig {
  const type = String(raw.image_processor_type ?? 'CLIPImageProcessor').replace(/Fast$/, '');
  const d = DEFAULTS[type];
  const where = file ? { file } : {};
  if (!d)
    throw new ConfigError(
      'E_CONFIG_UNSUPPORTED',
      `image_processor_type ${type} is not supported`,
      { image_processor_type: type, ...where },
      `supported: ${Object.keys(DEFAULTS).join(', ')}`,
    );
  const bool = (k: string, def: boolean) => {
    const v = raw[k] ?? def;
    if (typeof v !== 'boolean')
      throw new ConfigError('E_CONFIG_INVALID', `${k} must be a boolean`, { field: k, ...where });
    return v;
  };
  const posInt = (v: unknown, k: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new ConfigError('E_CONFIG_INVALID', `${k} must be a positive integer, got ${JSON.stringify(v)}`, {
        field: k,
        ...where,
      });
    return v;
  };
  const triple = (k: string, def: readonly [number, number, number]): [number, number, number] => {
    const v = raw[k] ?? def;
    const arr = typeof v === 'number' ? [v, v, v] : v;
    if (!Array.isArray(arr) || arr.length !== 3 || !arr.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw new ConfigError('E_CONFIG_INVALID', `${k} must be 3 numbers`, { field: k, ...where });
    return arr as [number, number, number];
  };
  let size: ResizeSpec = d.size;
  const s = raw.size;
  if (typeof s === 'number')
    size =
      type === 'CLIPImageProcessor' ? { shortestEdge: posInt(s, 'size') } : { height: posInt(s, 'size'), width: s };
  else if (s && typeof s === 'object') {
    const o = s as Record<string, unknown>;
    if (o.shortest_edge !== undefined) size = { shortestEdge: posInt(o.shortest_edge, 'size.shortest_edge') };
    else size = { height: posInt(o.height, 'size.height'), width: posInt(o.width, 'size.width') };
  }
  let cropSize = d.cropSize;
  const c = raw.crop_size;
  if (typeof c === 'number') cropSize = { height: posInt(c, 'crop_size'), width: c };
  else if (c && typeof c === 'object')
    cropSize = {
      height: posInt((c as Record<string, unknown>).height, 'crop_size.height'),
      width: posInt((c as Record<string, unknown>).width, 'crop_size.width'),
    };
  const resample = raw.resample ?? d.resample;
  if (!Object.values(PIL_FILTERS).includes(resample as PilFilterId) || resample === PIL_FILTERS.NEAREST) {
    throw new ConfigError(
      'E_CONFIG_UNSUPPORTED',
      `resample ${JSON.stringify(resample)} is not supported`,
      { field: 'resample', ...where },
      'supported: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING',
    );
  }
  const rescaleFactor = raw.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== 'number' || !(rescaleFactor > 0))
    throw new ConfigError('E_CONFIG_INVALID', 'rescale_factor must be a positive number', {
      field: 'rescale_factor',
      ...where,
    });
  return {
    doResize: bool('do_resize', d.doResize),
    size,
    resample: resample as PilFilterId,
    doCenterCrop: bool('do_center_crop', d.doCenterCrop),
    cropSize,
    doRescale: bool('do_rescale', true),
    rescaleFactor,
    doNormalize: bool('do_normalize', true),
    imageMean: triple('image_mean', d.imageMean),
    imageStd: triple('image_std', d.imageStd),
  };
}
