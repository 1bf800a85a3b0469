/**
 * Parity runner for the `image-processors` case: frame.png through our CLIP and SigLIP
 * processors (configs `clip/` and `siglip/preprocessor_config.json` beside it), compared with
 * HF's `clip_pixel_values` / `siglip_pixel_values` in 0–255 units (x · std · 255 + mean · 255),
 * with the mean error in each check's detail. Measured (transformers 5.17 reference,
 * torchvision flavour): bit-identical float32 output, max and mean error 0 (0–255 units).
 * Pillow flavour (transformers 4): SigLIP max 7.5e-6, CLIP max 1.0 on 47 of 338,688 values,
 * mean 1.4e-4.
 */
import { join, resolve } from 'node:path';
import { ImageProcessor, loadImageProcessor, type ProcessorFlavor } from '../processors/image-processor.js';
import { readPngFrame } from '../processors/png-frame.js';
import { need } from './clip-parity.js';
import { compare } from './compare.js';
import { makeReport, type ParityCheck, type ParityReport } from './parity-report.js';
import { readCaseJson, readReferenceTensors } from './read-case.js';

/** Tolerance in 0–255 units: far below one intensity level, so any resampling difference fails. */
export const IMAGE_PROCESSORS_TOL_255 = 0.01;

export interface ImageProcessorsParityOptions {
  /** Which reference implementation to match (a mutation test uses 'pil'). */
  readonly flavor?: ProcessorFlavor;
  /** Replaces the resampling filter of both processors (mutation tests). */
  readonly resample?: ImageProcessor['config']['resample'];
}

export async function runImageProcessorsParity(
  caseDir: string,
  opts: ImageProcessorsParityOptions = {},
): Promise<ParityReport> {
  const dir = resolve(caseDir);
  await readCaseJson(dir);
  const ref = await readReferenceTensors(dir);
  const frame = await readPngFrame(join(dir, 'frame.png'));
  const checks: ParityCheck[] = [];
  for (const name of ['clip', 'siglip'] as const) {
    let proc = await loadImageProcessor(join(dir, name), opts.flavor ?? 'torchvision');
    if (opts.resample !== undefined)
      proc = new ImageProcessor({ ...proc.config, resample: opts.resample }, proc.flavor);
    const out = proc.preprocess([frame]);
    const e = need(ref, `${name}_pixel_values`);
    const { imageMean: mean, imageStd: std } = proc.config;
    const to255 = (x: Float32Array, shape: readonly number[]) => {
      const plane = shape[2]! * shape[3]!;
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const c = Math.floor(i / plane) % 3;
        y[i] = x[i]! * std[c]! * 255 + mean[c]! * 255;
      }
      return y;
    };
    const a = to255(out.data, out.shape);
    const b = to255(e.data, e.shape);
    const check = compare(`${name}_pixel_values (0-255)`, a, b, 'abs', IMAGE_PROCESSORS_TOL_255, {
      actual: out.shape,
      expected: e.shape,
    });
    let sum = 0;
    let off = 0;
    if (a.length === b.length) {
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i]! - b[i]!);
        sum += d;
        if (d >= 0.5) off++;
      }
    }
    checks.push({
      ...check,
      detail: `${check.detail ? `${check.detail}; ` : ''}mean abs ${(sum / Math.max(1, a.length)).toExponential(2)}, ${off} of ${a.length} values off by >= 0.5 (0-255 units)`,
    });
  }
  return makeReport('image-processors', dir, checks);
}
