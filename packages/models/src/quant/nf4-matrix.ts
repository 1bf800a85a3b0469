/**
 * A frozen weight matrix [rows, cols] in bitsandbytes' NF4 layout (kvc issue #13), resident on the
 * active tfjs backend. This file fixes the storage contract that the quantizer (quant/), the plain
 * dequantizing product (any backend) and the WebGPU kernel (gpu/) all share:
 *
 * - Elements are taken in row-major order and split into blocks of `blocksize` (64) consecutive
 *   elements over the flattened matrix, as bitsandbytes does; the last block may be partial.
 * - `codes` holds the 4-bit NF4 code indices (0..15), two per byte in bitsandbytes' order: byte i
 *   is `(code[2i] << 4) | code[2i + 1]` (first element in the high nibble), the bytes read as
 *   little-endian u32 words in an int32 tensor of `ceil(rows * cols / 8)` elements (zero-padded).
 *   Element e is therefore `(word[e >> 3] >> (((e >> 1) & 3) * 8 + ((e & 1) ? 0 : 4))) & 15`.
 * - `absmax` [ceil(rows * cols / blocksize)] f32 is the scale each block's codes are multiplied by:
 *   with double quantization it holds the already dequantized values (`code8[q] * absmax2 + offset`,
 *   in f32, exactly what bitsandbytes' dequantize uses), so compute never repeats that step. On the
 *   GPU this costs 4 bytes per 64 weights (0.5 bit a weight) instead of ~0.13 bit; the host-side
 *   double-quantized form is what saves and reports the seed's memory.
 */
import type * as tf from '@tensorflow/tfjs-core';

export const NF4_BLOCKSIZE = 64;

export class Nf4Matrix {
  constructor(
    /** Packed codes, 8 per int32 element (see the file comment for the bit order). */
    readonly codes: tf.Tensor1D,
    /** One f32 scale per block of `blocksize` elements. */
    readonly absmax: tf.Tensor1D,
    readonly rows: number,
    readonly cols: number,
    readonly blocksize: number = NF4_BLOCKSIZE,
  ) {}

  /** Bytes this weight holds on its backend. */
  get bytes(): number {
    return this.codes.size * 4 + this.absmax.size * 4;
  }

  dispose(): void {
    this.codes.dispose();
    this.absmax.dispose();
  }
}

/** The NF4 code table (bitsandbytes' `get_4bit_type('nf4')`), as f32 values. */
export const NF4_TABLE: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];
