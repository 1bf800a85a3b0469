import { describe, expect, it } from 'vitest';
import { nibbleShift, packNf4Codes, unpackNf4Codes } from './pack-nf4-codes.js';

describe('packNf4Codes (the Nf4Matrix contract: first element in the high nibble, little-endian words)', () => {
  it('round-trips every code at every position, with a partial last word', () => {
    for (const n of [1, 7, 8, 9, 64, 203]) {
      const codes = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 16);
      const words = packNf4Codes(codes);
      expect(words.length).toBe(Math.ceil(n / 8));
      expect(unpackNf4Codes(words, n)).toEqual(codes);
    }
  });

  it('lays bytes out as bitsandbytes does: byte i = code[2i] << 4 | code[2i+1], in file order', () => {
    const codes = Uint8Array.from({ length: 16 }, (_, i) => i);
    const bytes = new Uint8Array(packNf4Codes(codes).buffer);
    for (let i = 0; i < 8; i++) expect(bytes[i]).toBe((codes[2 * i]! << 4) | codes[2 * i + 1]!);
    expect(nibbleShift(0)).toBe(4); // the file comment's formula: element 0 in the high nibble of byte 0
    expect(nibbleShift(7)).toBe(24);
  });
});
