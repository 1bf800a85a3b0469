/** Host NF4 dequantization (bitsandbytes' dequantize_4bit): value = NF4_TABLE[code] · absmax[block], in f32. */
import { NF4_TABLE } from './nf4-matrix.js';
import type { Nf4Quantized } from './quantize-nf4.js';

const TABLE = Float32Array.from(NF4_TABLE);

/** The f32 values `q` stands for (as many as it has codes). */
export function dequantizeNf4(q: Pick<Nf4Quantized, 'codes' | 'absmax' | 'blocksize'>): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = TABLE[q.codes[i]!]! * q.absmax[Math.floor(i / q.blocksize)]!;
  return out;
}
