/**
 * The WGSL every NF4 kernel shares: how a kernel reads the Nf4Matrix storage contract
 * (quant/nf4-matrix.ts). Bindings `Q: array<u32>` (the packed codes) and `S: array<f32>` (one scale
 * per block) are declared by the kernel; these helpers only decode.
 */
import { NF4_TABLE } from '../quant/nf4-matrix.js';

/** An f32 WGSL literal for a table value (the values are f32s printed in full, so they round back exactly). */
const lit = (v: number): string => (/[.e]/.test(String(v)) ? String(v) : `${v}.0`);

/** `const NF4_VALUES` (the 16 code values in f32) and the element decoders for a block size. */
export function nf4DecodeWgsl(blocksize: number): string {
  return `var<private> NF4_VALUES: array<f32, 16> = array<f32, 16>(${NF4_TABLE.map(lit).join(', ')});
// Element e of the flattened [rows, cols] weight: byte e/2 of the code stream, high nibble first.
fn nf4Code(e: u32) -> u32 {
  return (Q[e >> 3u] >> (((e >> 1u) & 3u) * 8u + 4u * (1u - (e & 1u)))) & 15u;
}
fn nf4At(e: u32) -> f32 { return NF4_VALUES[nf4Code(e)] * S[e / ${blocksize}u]; }`;
}

/**
 * Shift of element h (0..7) inside its u32 word when the element index is a multiple of 8
 * (the word path: 8 consecutive elements, one load of codes and one of the scale).
 */
export const nf4WordShift = (h: number): number => (h >> 1) * 8 + (h & 1 ? 0 : 4);
