/**
 * Host NF4 quantization with bitsandbytes' semantics (quantize_4bit(quant_type='nf4') → what
 * dequantize_4bit uses), in the f32 arithmetic of its CUDA kernels: per block of `blocksize`
 * elements absmax = max|v|, code = dQuantizeNF4(v · (1/absmax)) (nf4-code.ts). With double
 * quantization the block scales are stored as `absmax - mean` in 8 bits (dynamic map, blocks of
 * 256) plus one f32 scale per 256 blocks and the mean (offset); compute uses them dequantized.
 */
import { ConfigError } from '../errors.js';
import { dynamicMap, quantizeDynamic } from './dynamic-map.js';
import { NF4_BLOCKSIZE } from './nf4-matrix.js';
import { nf4Code } from './nf4-code.js';
import { numpyF32Mean } from './numpy-f32-mean.js';

const f = Math.fround;

/** bitsandbytes' block size for double-quantized scales. */
export const NF4_DOUBLE_QUANT_BLOCKSIZE = 256;

export interface Nf4QuantizeOptions {
  readonly blocksize?: number;
  /** Store block scales in 8 bits (bnb_4bit_use_double_quant). */
  readonly doubleQuant?: boolean;
}

/** The double-quantized block scales: absmax[k] = code8[qabsmax[k]] · absmax2[k >> 8] + offset. */
export interface Nf4DoubleQuant {
  readonly qabsmax: Uint8Array;
  readonly absmax2: Float32Array;
  readonly offset: number;
  readonly blocksize: number;
}

export interface Nf4Quantized {
  /** One NF4 code (0..15) per element, unpacked (pack-nf4-codes.ts packs them). */
  readonly codes: Uint8Array;
  /** The f32 scale of each block that dequantization multiplies by (double-dequantized when doubleQuant). */
  readonly absmax: Float32Array;
  readonly blocksize: number;
  readonly double?: Nf4DoubleQuant;
}

/** Quantizes `values` (any shape, flattened row-major) to NF4. */
export function quantizeNf4(values: Float32Array, opts: Nf4QuantizeOptions = {}): Nf4Quantized {
  const bs = nf4Blocksize(opts);
  const n = values.length;
  const nb = Math.ceil(n / bs);
  const codes = new Uint8Array(n);
  const absmax = new Float32Array(nb);
  for (let b = 0; b < nb; b++) {
    const end = Math.min(n, (b + 1) * bs);
    let m = 0;
    for (let i = b * bs; i < end; i++) m = Math.max(m, Math.abs(values[i]!));
    absmax[b] = m;
    // As the kernel: 1/0 = ∞, 0·∞ = NaN → code 0 (dequantizes to -1 · 0).
    const inv = f(1 / m);
    for (let i = b * bs; i < end; i++) codes[i] = nf4Code(f(values[i]! * inv));
  }
  return { codes, ...blockScales(absmax, opts), blocksize: bs };
}

/** The scales a block's codes are multiplied by: absmax itself, or its double-quantized stand-in. */
export function blockScales(
  absmax: Float32Array,
  opts: Nf4QuantizeOptions,
): { absmax: Float32Array; double?: Nf4DoubleQuant } {
  if (!opts.doubleQuant) return { absmax };
  const double = doubleQuantize(absmax);
  return { absmax: doubleDequantize(double), double };
}

/** The block size of `opts`, checked (an even integer ≥ 2). */
export function nf4Blocksize(opts: Nf4QuantizeOptions): number {
  const bs = opts.blocksize ?? NF4_BLOCKSIZE;
  if (!Number.isInteger(bs) || bs < 2 || bs % 2 !== 0) {
    const msg = `NF4 block size must be an even integer ≥ 2, not ${bs}`;
    throw new ConfigError('E_NF4_BLOCKSIZE', msg, { blocksize: bs });
  }
  return bs;
}

/** absmax − mean, quantized with the signed dynamic map in blocks of 256. */
function doubleQuantize(absmax: Float32Array): Nf4DoubleQuant {
  const bs = NF4_DOUBLE_QUANT_BLOCKSIZE;
  const code = dynamicMap();
  const offset = numpyF32Mean(absmax);
  const a = absmax.map((v) => v - offset); // Float32Array.map rounds to f32
  const absmax2 = new Float32Array(Math.ceil(a.length / bs));
  const qabsmax = new Uint8Array(a.length);
  for (let b = 0; b < absmax2.length; b++) {
    const end = Math.min(a.length, (b + 1) * bs);
    let m = 0;
    for (let i = b * bs; i < end; i++) m = Math.max(m, Math.abs(a[i]!));
    absmax2[b] = m;
    const inv = m !== 0 ? f(1 / m) : 0;
    for (let i = b * bs; i < end; i++) qabsmax[i] = quantizeDynamic(code, f(a[i]! * inv));
  }
  return { qabsmax, absmax2, offset, blocksize: bs };
}

/** The f32 block scales double quantization stands for: code8[q] · absmax2 + offset, each step rounded to f32. */
export function doubleDequantize(d: Nf4DoubleQuant): Float32Array {
  const code = dynamicMap();
  return Float32Array.from(d.qabsmax, (q, k) => f(f(code[q]! * d.absmax2[Math.floor(k / d.blocksize)]!) + d.offset));
}
