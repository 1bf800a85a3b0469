/**
 * Packing NF4 codes into the Nf4Matrix contract (nf4-matrix.ts): two codes a byte, the first in the
 * high nibble (bitsandbytes' order), bytes read as little-endian u32 words in an Int32Array.
 */

/** ceil(n / 8) words holding `codes` (0..15 each), zero-padded. */
export function packNf4Codes(codes: Uint8Array): Int32Array {
  const words = new Int32Array(Math.ceil(codes.length / 8));
  for (let e = 0; e < codes.length; e++) words[e >> 3]! |= (codes[e]! & 15) << nibbleShift(e);
  return words;
}

/** The first `n` codes of packed `words`. */
export function unpackNf4Codes(words: Int32Array, n: number): Uint8Array {
  const codes = new Uint8Array(n);
  for (let e = 0; e < n; e++) codes[e] = (words[e >> 3]! >>> nibbleShift(e)) & 15;
  return codes;
}

/** Bit position of element e's nibble in its word: byte (e>>1)&3, high nibble for even e. */
export const nibbleShift = (e: number): number => ((e >> 1) & 3) * 8 + (e & 1 ? 0 : 4);
