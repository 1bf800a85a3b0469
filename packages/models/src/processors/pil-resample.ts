/**
 * Pillow's `Image.resize` (ImagingResample, libImaging/Resample.c) in TypeScript, for
 * bit-exact image preprocessing: a separable convolution, horizontal pass first, each output
 * pixel a normalised window of the filter whose support is scaled by the downscale factor
 * (antialiasing), coefficients quantised to 22-bit fixed point, and — as Pillow does for 8-bit
 * images — rounding to uint8 after EACH pass. `intermediate: 'float'` keeps the passes in
 * float and rounds once (torchvision's float path), for comparison. Pure: no tensor library.
 */

/** Pillow's resampling filters by their enum values (Image.Resampling). */
export const PIL_FILTERS = { NEAREST: 0, LANCZOS: 1, BILINEAR: 2, BICUBIC: 3, BOX: 4, HAMMING: 5 } as const;
export type PilFilterId = (typeof PIL_FILTERS)[keyof typeof PIL_FILTERS];

interface Filter {
  readonly support: number;
  readonly fn: (x: number) => number;
}

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

const FILTERS: Readonly<Record<number, Filter>> = {
  [PIL_FILTERS.BOX]: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [PIL_FILTERS.BILINEAR]: { support: 1, fn: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  [PIL_FILTERS.HAMMING]: {
    support: 1,
    fn: (x) => (x === 0 ? 1 : Math.abs(x) >= 1 ? 0 : sinc(x) * (0.46 + 0.54 * Math.cos(Math.PI * x))),
  },
  [PIL_FILTERS.BICUBIC]: {
    support: 2,
    fn: (v) => {
      // Keys cubic with a = -0.5, as Pillow.
      const a = -0.5;
      const x = Math.abs(v);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  [PIL_FILTERS.LANCZOS]: { support: 3, fn: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** An interleaved 8-bit image (RGB: channels 3). */
export interface U8Image {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

interface Coeffs {
  readonly ksize: number;
  readonly bounds: Int32Array;
  readonly weights: Float64Array;
}

const PRECISION_BITS = 22;

/** precompute_coeffs: per output index, the first input index, the count, and the normalised weights. */
export function precomputeCoeffs(inSize: number, outSize: number, filter: Filter): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      weights[xx * ksize + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) weights[xx * ksize + x]! /= ww;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** normalize_coeffs_8bpc: weights as `bits`-bit fixed-point integers, rounded half away from zero then truncated. */
function fixedPoint(c: Coeffs, bits: number): Int32Array {
  const out = new Int32Array(c.weights.length);
  const one = 2 ** bits;
  for (let i = 0; i < out.length; i++) {
    const w = c.weights[i]!;
    out[i] = Math.trunc(w < 0 ? -0.5 + w * one : 0.5 + w * one);
  }
  return out;
}

/**
 * Fixed-point bits of the weights: Pillow uses 22; torch's uint8 antialias kernels (ported
 * from Pillow-SIMD) use int16 weights with the most bits that keep the largest weight < 2^15.
 */
function weightBits(c: Coeffs, kind: WeightQuantization): number {
  if (kind === 'pil') return PRECISION_BITS;
  let wtMax = 0;
  for (const w of c.weights) wtMax = Math.max(wtMax, w);
  let p = 0;
  for (; p < 22; p++) if (Math.trunc(0.5 + wtMax * 2 ** (p + 1)) >= 1 << 15) break;
  return p;
}

/** Pillow's 22-bit weights, or torch's int16 weights (its uint8 path). */
export type WeightQuantization = 'pil' | 'torch';

type Pass = (
  src: Float32Array | Uint8Array,
  srcW: number,
  srcH: number,
  ch: number,
  c: Coeffs,
  horizontal: boolean,
  out: Uint8Array | Float32Array,
  q: WeightQuantization,
) => void;

const pass8: Pass = (src, srcW, srcH, ch, c, horizontal, out, q) => {
  const bits = weightBits(c, q);
  const k = fixedPoint(c, bits);
  const outN = c.bounds.length / 2;
  const lines = horizontal ? srcH : srcW;
  const half = bits > 0 ? 2 ** (bits - 1) : 0;
  const one = 2 ** bits;
  for (let line = 0; line < lines; line++) {
    for (let o = 0; o < outN; o++) {
      const xmin = c.bounds[o * 2]!;
      const n = c.bounds[o * 2 + 1]!;
      for (let chn = 0; chn < ch; chn++) {
        let ss = half;
        for (let i = 0; i < n; i++) {
          const idx = horizontal ? (line * srcW + xmin + i) * ch + chn : ((xmin + i) * srcW + line) * ch + chn;
          ss += src[idx]! * k[o * c.ksize + i]!;
        }
        const dst = horizontal ? (line * outN + o) * ch + chn : (o * srcW + line) * ch + chn;
        // clip8: saturate, then drop the fraction bits (ss < 2^31 here, so >> is exact).
        out[dst] = ss <= 0 ? 0 : ss >= one * 256 ? 255 : Math.floor(ss / one);
      }
    }
  }
};

const passFloat: Pass = (src, srcW, srcH, ch, c, horizontal, out) => {
  const outN = c.bounds.length / 2;
  const lines = horizontal ? srcH : srcW;
  for (let line = 0; line < lines; line++) {
    for (let o = 0; o < outN; o++) {
      const xmin = c.bounds[o * 2]!;
      const n = c.bounds[o * 2 + 1]!;
      for (let chn = 0; chn < ch; chn++) {
        let ss = 0;
        for (let i = 0; i < n; i++) {
          const idx = horizontal ? (line * srcW + xmin + i) * ch + chn : ((xmin + i) * srcW + line) * ch + chn;
          ss += src[idx]! * c.weights[o * c.ksize + i]!;
        }
        out[horizontal ? (line * outN + o) * ch + chn : (o * srcW + line) * ch + chn] = ss;
      }
    }
  }
};

/**
 * Resizes like Pillow's `Image.resize((width, height), resample)` (no reducing_gap, full box).
 * `intermediate: 'uint8'` (default) is Pillow-exact; 'float' rounds only the final result.
 */
export function pilResize(
  img: U8Image,
  width: number,
  height: number,
  filterId: PilFilterId,
  intermediate: 'uint8' | 'float' = 'uint8',
  quantization: WeightQuantization = 'pil',
): U8Image {
  const filter = FILTERS[filterId];
  if (!filter) throw new RangeError(`pilResize: filter ${filterId} is not supported (NEAREST is not implemented)`);
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height)))
    throw new RangeError(`pilResize: bad size ${width}x${height}`);
  const { channels: ch } = img;
  const pass = intermediate === 'uint8' ? pass8 : passFloat;
  const alloc = (n: number) => (intermediate === 'uint8' ? new Uint8Array(n) : new Float32Array(n));
  let cur: Uint8Array | Float32Array = img.data;
  let w = img.width;
  if (width !== img.width) {
    const next = alloc(width * img.height * ch);
    pass(cur, w, img.height, ch, precomputeCoeffs(img.width, width, filter), true, next, quantization);
    cur = next;
    w = width;
  }
  if (height !== img.height) {
    const next = alloc(width * height * ch);
    pass(cur, w, img.height, ch, precomputeCoeffs(img.height, height, filter), false, next, quantization);
    cur = next;
  }
  if (cur instanceof Uint8Array)
    return { width, height, channels: ch, data: cur === img.data ? Uint8Array.from(cur) : cur };
  const out = new Uint8Array(cur.length);
  for (let i = 0; i < cur.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(cur[i]!)));
  return { width, height, channels: ch, data: out };
}
