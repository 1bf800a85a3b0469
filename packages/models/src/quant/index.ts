/**
 * NF4 quantization of frozen linear weights (kvc issue #13): bitsandbytes' NF4 with optional
 * double quantization on the host, the Nf4Matrix storage contract, and the plain dequantizing product.
 */
export { NF4_BLOCKSIZE, NF4_TABLE, Nf4Matrix } from './nf4-matrix.js';
export { NF4_DOUBLE_QUANT_BLOCKSIZE, quantizeNf4, doubleDequantize } from './quantize-nf4.js';
export type { Nf4DoubleQuant, Nf4QuantizeOptions, Nf4Quantized } from './quantize-nf4.js';
export { dequantizeNf4 } from './dequantize-nf4.js';
export { packNf4Codes, unpackNf4Codes } from './pack-nf4-codes.js';
export { nf4MatrixFromHost, nf4MatrixFromQuantized, nf4MatrixFromTensor } from './nf4-matrix-from-host.js';
export { nf4MatMul, dequantizeNf4Matrix, canDequantizeNf4, checkNf4Backend } from './nf4-matmul.js';
export { QUANTIZATIONS, checkQuantization } from './quantization.js';
export type { Quantization } from './quantization.js';
