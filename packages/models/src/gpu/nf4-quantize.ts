/**
 * `nf4MatrixFromBf16OnGpu`: a bf16 checkpoint tensor (its raw bytes) quantized to an Nf4Matrix on the
 * webgpu backend. The host finds each block's absmax from the bits alone (|x| orders as the integer
 * `bits & 0x7fff` for every bf16 that is not NaN, and the f32 absmax is those bits shifted up) and
 * its f32 inverse; the GPU writes the codes (nf4-quantize-wgsl.ts). Codes and scales are those of
 * quantizeNf4 on the widened values, bit for bit (nf4-quantize.test.ts), without the host touching
 * each weight to widen, scale, classify and pack it: that took Qwen3-8B's load 387 s on the H200
 * machine (bench/results/2026-11-29-eval97-h200.md). Returns undefined where the host path must
 * decide (it follows bitsandbytes there): an infinite or NaN weight, a subnormal block absmax whose
 * inverse overflows, a block size not a multiple of 8.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { blockScales, nf4Blocksize, type Nf4QuantizeOptions } from '../quant/quantize-nf4.js';
import { nf4QuantizeDispatch, nf4QuantizeWgsl } from './nf4-quantize-wgsl.js';
import { runKernel } from './webgpu-internals.js';

/** Each block's absmax and f32 inverse (0 for an all-zero block), or undefined when the host path must decide. */
function bf16Scales(bits: Uint16Array, bs: number): { absmax: Float32Array; inv: Float32Array } | undefined {
  const n = bits.length;
  const nb = Math.ceil(n / bs);
  const absmax = new Float32Array(nb);
  const absBits = new Uint32Array(absmax.buffer);
  const inv = new Float32Array(nb);
  for (let b = 0; b < nb; b++) {
    const end = Math.min(n, (b + 1) * bs);
    let m = 0;
    for (let i = b * bs; i < end; i++) {
      const a = bits[i]! & 0x7fff;
      if (a > m) m = a;
    }
    if (m >= 0x7f80) return undefined; // ±∞ or NaN
    absBits[b] = m << 16;
    if (m === 0) continue; // inv 0: the kernel writes code 0, as the host's 0 · ∞ = NaN does
    const r = Math.fround(1 / absmax[b]!);
    if (!Number.isFinite(r)) return undefined;
    inv[b] = r;
  }
  return { absmax, inv };
}

export function nf4MatrixFromBf16OnGpu(
  bytes: Uint8Array,
  rows: number,
  cols: number,
  opts: Nf4QuantizeOptions = {},
  /** Workgroups a dispatch row (tests shrink it to reach the second row). */
  row?: number,
): Nf4Matrix | undefined {
  const bs = nf4Blocksize(opts);
  const n = rows * cols;
  if (bs % 8 !== 0 || bytes.length !== 2 * n) return undefined;
  // The kernel reads whole words of 8 elements: pad (a copy) unless the bytes already are such words.
  const padded = 8 * Math.ceil(n / 8);
  const aligned = padded === n && bytes.byteOffset % 4 === 0;
  const bits = aligned ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(padded);
  if (!aligned) bits.set(new Uint16Array(bytes.slice().buffer));
  const scales = bf16Scales(bits.subarray(0, n), bs);
  if (!scales) return undefined;
  const words = tf.tensor1d(new Int32Array(bits.buffer, bits.byteOffset, padded / 2), 'int32');
  const inv = tf.tensor1d(scales.inv, 'float32');
  try {
    const codes = runKernel(
      nf4QuantizeWgsl(n, bs, row),
      [words, inv],
      [padded / 8],
      'int32',
      nf4QuantizeDispatch(n, row),
    );
    const absmax = tf.tensor1d(blockScales(scales.absmax, opts).absmax, 'float32');
    return new Nf4Matrix(codes as tf.Tensor1D, absmax, rows, cols, bs);
  } finally {
    tf.dispose([words, inv]);
  }
}
