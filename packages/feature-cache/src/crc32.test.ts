import { describe, expect, it } from 'vitest';
import { crc32, crc32Fallback } from './crc32.js';
import { randomTensor } from './__tests__/test-helpers.js';

describe('crc32', () => {
  it('matches the standard CRC-32 check value and the TypeScript fallback', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926); // the CRC-32/ISO-HDLC "check" value of its specification
    expect(crc32Fallback(check)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
  it('native and fallback agree on random data, including when continued from a previous value', () => {
    const t = randomTensor([1000], 9).data;
    const bytes = new Uint8Array(t.buffer);
    expect(crc32Fallback(bytes)).toBe(crc32(bytes));
    expect(crc32Fallback(bytes.subarray(100), crc32Fallback(bytes.subarray(0, 100)))).toBe(crc32(bytes));
    expect(crc32(bytes.subarray(100), crc32(bytes.subarray(0, 100)))).toBe(crc32(bytes));
  });
});
