/**
 * HF image processors (CLIPImageProcessor, SiglipImageProcessor) for decoded RGB24 frames
 * (`{width, height, data}` as @kvc/video-io gives them) → pixel values NCHW float32:
 * resize (shortest edge or fixed size, antialiased separable resampling), center crop,
 * rescale, normalize. Pure TypeScript, no tensor library.
 *
 * Exactness (measured on test/fixtures/reference/processors, frame.png 640x360, against
 * transformers 5.17's processors): with `flavor: 'torchvision'` (default) the output is
 * bit-identical, max and mean error 0 in 0–255 units for both CLIP (bicubic 640x360 → 597x336,
 * crop 336) and SigLIP (bilinear → 384x384); the parity runner reports the numbers.
 * `flavor: 'pil'` reproduces the Pillow path of transformers 4.x (22-bit weights): against the
 * same reference SigLIP max 7.5e-6, CLIP max 1.0 (one level) on 47 of 338,688 values, mean 1.4e-4.
 */
import { ModelsError } from '../errors.js';
import { readJsonConfig } from '../io/read-config.js';
import { parseImageProcessorConfig, type ImageProcessorConfig } from './image-processor-config.js';
import { pilResize, type U8Image } from './pil-resample.js';

/** One decoded RGB24 frame (row-major, 3 bytes a pixel). */
export interface RgbFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface PixelBatch {
  /** NCHW float32. */
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

/**
 * Which reference implementation to match: `torchvision` (transformers ≥ 5 and the *Fast
 * processors: torch's uint8 antialias kernels with int16 weights, crop offsets rounded half to
 * even, rescale fused into normalize) or `pil` (transformers 4 "slow" processors: Pillow,
 * floor crop offsets, rescale then normalize).
 */
export type ProcessorFlavor = 'torchvision' | 'pil';

/** Output (height, width) of the resize step for an input size, HF's rule (int() truncation). */
export function resizeOutputSize(
  cfg: ImageProcessorConfig,
  height: number,
  width: number,
): { height: number; width: number } {
  if (!cfg.doResize) return { height, width };
  const s = cfg.size;
  if ('shortestEdge' in s) {
    const short = Math.min(height, width);
    const long = Math.max(height, width);
    const newLong = Math.trunc((s.shortestEdge * long) / short);
    return height <= width ? { height: s.shortestEdge, width: newLong } : { height: newLong, width: s.shortestEdge };
  }
  return { height: s.height, width: s.width };
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export class ImageProcessor {
  constructor(
    readonly config: ImageProcessorConfig,
    readonly flavor: ProcessorFlavor = 'torchvision',
  ) {}

  /** The [C, H, W] of one processed frame. */
  outputShape(frame: { width: number; height: number }): [number, number, number] {
    const r = resizeOutputSize(this.config, frame.height, frame.width);
    return this.config.doCenterCrop
      ? [3, this.config.cropSize.height, this.config.cropSize.width]
      : [3, r.height, r.width];
  }

  /** Processes frames (all must give the same output size) into one NCHW batch. */
  preprocess(frames: readonly RgbFrame[]): PixelBatch {
    if (frames.length === 0) throw new ModelsError('E_INPUT_EMPTY', 'no frames to preprocess', {});
    const [c, h, w] = this.outputShape(frames[0]!);
    const data = new Float32Array(frames.length * c * h * w);
    frames.forEach((f, i) => {
      const shape = this.outputShape(f);
      if (shape[1] !== h || shape[2] !== w) {
        throw new ModelsError(
          'E_INPUT_SHAPE',
          `frame ${i} (${f.width}x${f.height}) gives ${shape[2]}x${shape[1]} pixels, frame 0 gave ${w}x${h}`,
          { frame: i },
          'batch frames of one size, or use a fixed crop',
        );
      }
      this.processInto(f, data.subarray(i * c * h * w, (i + 1) * c * h * w));
    });
    return { data, shape: [frames.length, c, h, w] };
  }

  /** Resize + crop only: the uint8 RGB image the model sees before rescale/normalize. */
  resizeAndCrop(frame: RgbFrame): U8Image {
    if (frame.data.length !== frame.width * frame.height * 3) {
      throw new ModelsError(
        'E_INPUT_SHAPE',
        `frame data has ${frame.data.length} bytes, ${frame.width}x${frame.height} RGB24 needs ${frame.width * frame.height * 3}`,
        { width: frame.width, height: frame.height },
      );
    }
    const cfg = this.config;
    let img: U8Image = { width: frame.width, height: frame.height, channels: 3, data: frame.data };
    const r = resizeOutputSize(cfg, frame.height, frame.width);
    if (cfg.doResize && (r.width !== img.width || r.height !== img.height)) {
      // With a center crop, only the kept window is resampled (the same bits as cropping the whole resize).
      const window = cfg.doCenterCrop ? this.cropWindow(r.width, r.height) : undefined;
      const q = this.flavor === 'torchvision' ? 'torch' : 'pil';
      return pilResize(img, r.width, r.height, cfg.resample, 'uint8', q, window);
    }
    if (cfg.doCenterCrop) img = this.centerCrop(img);
    return img;
  }

  /** Where the center crop lies in a `width`×`height` image (the flavour's rounding of the margins). */
  private cropWindow(width: number, height: number): { x: number; y: number; width: number; height: number } {
    const { height: ch, width: cw } = this.config.cropSize;
    if (ch > height || cw > width) {
      throw new ModelsError('E_INPUT_SHAPE', `crop ${cw}x${ch} is larger than the resized image ${width}x${height}`, {
        crop: [ch, cw],
      });
    }
    const off = (d: number) => (this.flavor === 'torchvision' ? roundHalfEven(d / 2) : Math.floor(d / 2));
    return { x: off(width - cw), y: off(height - ch), width: cw, height: ch };
  }

  private centerCrop(img: U8Image): U8Image {
    const { x: left, y: top, width: cw, height: ch } = this.cropWindow(img.width, img.height);
    const out = new Uint8Array(cw * ch * 3);
    for (let y = 0; y < ch; y++)
      out.set(
        img.data.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + cw) * 3),
        y * cw * 3,
      );
    return { width: cw, height: ch, channels: 3, data: out };
  }

  private processInto(frame: RgbFrame, out: Float32Array): void {
    const cfg = this.config;
    const img = this.resizeAndCrop(frame);
    const n = img.width * img.height;
    const f = Math.fround;
    for (let c = 0; c < 3; c++) {
      let scale = 1;
      let shift = 0;
      let fused = false;
      if (cfg.doNormalize && cfg.doRescale && this.flavor === 'torchvision') {
        // torchvision flavour folds the rescale into mean/std: (x - mean/r) / (std/r) in float32.
        shift = f(f(cfg.imageMean[c]!) * (1 / cfg.rescaleFactor));
        scale = f(f(cfg.imageStd[c]!) * (1 / cfg.rescaleFactor));
        fused = true;
      }
      for (let i = 0; i < n; i++) {
        const u = img.data[i * 3 + c]!;
        let v: number;
        if (fused) v = f(f(u - shift) / scale);
        else {
          v = cfg.doRescale ? f(u * cfg.rescaleFactor) : u;
          if (cfg.doNormalize) v = f(f(v - f(cfg.imageMean[c]!)) / f(cfg.imageStd[c]!));
        }
        out[c * n + i] = v;
      }
    }
  }
}

/** Reads `preprocessor_config.json` from a model folder into an ImageProcessor. */
export async function loadImageProcessor(
  dir: string,
  flavor: ProcessorFlavor = 'torchvision',
): Promise<ImageProcessor> {
  const file = 'preprocessor_config.json';
  return new ImageProcessor(parseImageProcessorConfig(await readJsonConfig(dir, file), `${dir}/${file}`), flavor);
}
