/**
 * CRC-32 (IEEE, the zlib/PNG one): cheap integrity check for cache entries. Uses node:zlib's native
 * `crc32` when the runtime has it (Node ≥ 20.15 / 22.2), else a table-driven TypeScript fallback
 * that gives the same numbers, so a cache written by one Node reads as valid under another.
 */
import * as zlib from 'node:zlib';

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Pure TypeScript CRC-32 of `bytes`, continuing from `previous` (0 to start). */
export function crc32Fallback(bytes: Uint8Array, previous = 0): number {
  const t = crcTable();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (t[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `bytes`, continuing from `previous` (0 to start); unsigned 32-bit. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native ? native(bytes, previous) >>> 0 : crc32Fallback(bytes, previous);
}
