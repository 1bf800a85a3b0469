/**
 * How one cache entry is laid out. Two values under the same key, written in one transaction:
 * the tensor bytes (binary DB, little-endian float32 or float16 bits, no encoding applied, because
 * lmdb's default msgpack silently mangles typed arrays) and a small msgpackr header with dtype,
 * shape, byte length and a CRC-32. The CRC covers the key, dtype and shape as well as the bytes,
 * so a header paired with the wrong data, a changed shape or flipped bytes all read as a miss.
 */
import { Packr } from 'msgpackr';
import { crc32 } from './crc32.js';
import type { StorageDtype } from './cache-key.js';
import { float16ToFloat32Array, float32ArrayToFloat16 } from './float16.js';

/** The decoded header of an entry. */
export interface EntryHeader {
  readonly v: 1;
  readonly dtype: StorageDtype;
  readonly shape: readonly number[];
  readonly byteLength: number;
  readonly crc32: number;
  readonly createdAtMs: number;
  /** Free-form metadata (the key ingredients, when known). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** Why an entry cannot be served. */
export type InvalidReason =
  | 'missing'
  | 'header-unreadable'
  | 'bad-header'
  | 'length-mismatch'
  | 'shape-mismatch'
  | 'checksum-mismatch';

/** Result of checking one entry: valid (with its parts) or the reason it is treated as a miss. */
export type EntryCheck =
  | { readonly ok: true; readonly header: EntryHeader; readonly body: Uint8Array }
  | { readonly ok: false; readonly reason: InvalidReason };

// Plain maps, no records/shared structures: a header must decode on its own, in any process.
const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();

export const BYTES_PER_ELEMENT: Readonly<Record<StorageDtype, number>> = { float32: 4, float16: 2 };

function checksum(key: string, dtype: StorageDtype, shape: readonly number[], body: Uint8Array): number {
  return crc32(body, crc32(utf8.encode(`${key}|${dtype}|${shape.join(',')}`)));
}

/** Encodes `data` (row-major, `shape`) as header bytes + body bytes for `key`. */
export function encodeEntry(
  key: string,
  data: Float32Array,
  shape: readonly number[],
  dtype: StorageDtype,
  meta?: Readonly<Record<string, unknown>>,
): { header: Uint8Array; body: Uint8Array } {
  const typed = dtype === 'float16' ? float32ArrayToFloat16(data) : data;
  // A fresh view over exactly these bytes (the caller's array may be a window into a larger buffer).
  const body = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const header: EntryHeader = {
    v: 1,
    dtype,
    shape: [...shape],
    byteLength: body.byteLength,
    crc32: checksum(key, dtype, shape, body),
    createdAtMs: Date.now(),
    ...(meta ? { meta } : {}),
  };
  return { header: packr.pack(header), body };
}

/** Decodes header bytes; undefined when they are not a well-formed v1 header. */
export function decodeHeader(bytes: Uint8Array): EntryHeader | undefined {
  let h: unknown;
  try {
    h = packr.unpack(bytes);
  } catch {
    return undefined;
  }
  if (typeof h !== 'object' || h === null) return undefined;
  const x = h as Record<string, unknown>;
  const dtypeOk = x.dtype === 'float32' || x.dtype === 'float16';
  const shapeOk = Array.isArray(x.shape) && x.shape.every((d) => Number.isInteger(d) && (d as number) >= 0);
  const numsOk = Number.isInteger(x.byteLength) && Number.isInteger(x.crc32);
  return x.v === 1 && dtypeOk && shapeOk && numsOk ? (h as EntryHeader) : undefined;
}

/** Checks an entry's parts; anything but `ok` must be treated as a miss. */
export function checkEntry(key: string, headerBytes: Uint8Array | undefined, body: Uint8Array | undefined): EntryCheck {
  if (headerBytes === undefined || body === undefined) return { ok: false, reason: 'missing' };
  const header = decodeHeader(headerBytes);
  if (!header)
    return { ok: false, reason: headerBytes.length === 0 ? 'header-unreadable' : decodeHeaderReason(headerBytes) };
  const elements = header.shape.reduce((a, b) => a * b, 1);
  if (elements * BYTES_PER_ELEMENT[header.dtype] !== header.byteLength) return { ok: false, reason: 'shape-mismatch' };
  if (body.length !== header.byteLength) return { ok: false, reason: 'length-mismatch' };
  if (checksum(key, header.dtype, header.shape, body) !== header.crc32)
    return { ok: false, reason: 'checksum-mismatch' };
  return { ok: true, header, body };
}

function decodeHeaderReason(bytes: Uint8Array): InvalidReason {
  try {
    packr.unpack(bytes);
    return 'bad-header';
  } catch {
    return 'header-unreadable';
  }
}

/** The float32 values of a checked body (copied: the result owns its memory and is aligned). */
export function decodeBody(header: EntryHeader, body: Uint8Array): Float32Array {
  const copy = new Uint8Array(body.length);
  copy.set(body);
  return header.dtype === 'float16'
    ? float16ToFloat32Array(new Uint16Array(copy.buffer))
    : new Float32Array(copy.buffer);
}
