/** Building an Nf4Matrix from host f32 values: quantize (bitsandbytes' NF4), pack, upload only the NF4 form. */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';
import { Nf4Matrix } from './nf4-matrix.js';
import { packNf4Codes } from './pack-nf4-codes.js';
import { quantizeNf4, type Nf4QuantizeOptions, type Nf4Quantized } from './quantize-nf4.js';

/** An Nf4Matrix of an already quantized row-major [rows, cols] weight. */
export function nf4MatrixFromQuantized(q: Nf4Quantized, rows: number, cols: number): Nf4Matrix {
  if (q.codes.length !== rows * cols) {
    throw new ConfigError('E_NF4_SHAPE', `${q.codes.length} NF4 codes cannot form a [${rows}, ${cols}] matrix`, {
      rows,
      cols,
      codes: q.codes.length,
    });
  }
  const codes = tf.tensor1d(packNf4Codes(q.codes), 'int32');
  return new Nf4Matrix(codes, tf.tensor1d(q.absmax, 'float32'), rows, cols, q.blocksize);
}

/** Quantizes host weight [rows, cols] (row-major) to NF4 on the active backend; `values` is not kept. */
export function nf4MatrixFromHost(
  values: Float32Array,
  rows: number,
  cols: number,
  opts: Nf4QuantizeOptions = {},
): Nf4Matrix {
  return nf4MatrixFromQuantized(quantizeNf4(values, opts), rows, cols);
}

/**
 * Quantizes an f32 weight tensor [rows, cols] to NF4 and disposes it (the caller owns only the
 * result). Reads the values back synchronously: for weights built on the device (a LoRA merge).
 */
export function nf4MatrixFromTensor(t: tf.Tensor2D, opts: Nf4QuantizeOptions = {}): Nf4Matrix {
  try {
    return nf4MatrixFromHost(t.dataSync() as Float32Array, t.shape[0], t.shape[1], opts);
  } finally {
    t.dispose();
  }
}
