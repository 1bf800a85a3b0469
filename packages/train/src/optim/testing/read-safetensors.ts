/**
 * TEST HELPER — a minimal safetensors reader for the optimizer parity runner and tests, kept
 * here so `@kvc/train` does not wait for `@kvc/models`' `readSafetensors`; replace its uses by
 * that one once it is exported. Layout: u64 little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}` (plus optional `__metadata__`), then the
 * data. Supports F32, F64, I32, I64.
 */
import { readFile } from 'node:fs/promises';
import { TrainError } from '../../errors.js';

/** One tensor: dtype tag, shape and a typed array over a copy of its bytes. */
export interface SafetensorsTensor {
  readonly dtype: 'F32' | 'F64' | 'I32' | 'I64';
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

const CTORS = { F32: Float32Array, F64: Float64Array, I32: Int32Array, I64: BigInt64Array } as const;

/** Parse safetensors bytes into named tensors. */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): Map<string, SafetensorsTensor> {
  const fail = (reason: string): never => {
    throw new TrainError('E_SAFETENSORS', `cannot read safetensors: ${reason}`, { file, reason });
  };
  if (bytes.byteLength < 8) fail('file shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) fail(`header length ${headerLength} exceeds the file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    fail(`header is not JSON (${String(err)})`);
  }
  const base = 8 + headerLength;
  const out = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = entry.dtype as SafetensorsTensor['dtype'];
    const Ctor = CTORS[dtype];
    if (Ctor === undefined) fail(`tensor "${name}" has unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * Ctor.BYTES_PER_ELEMENT || base + end > bytes.byteLength)
      fail(`tensor "${name}" has inconsistent offsets`);
    // Copy into a fresh, aligned buffer (the data section need not be aligned to the dtype;
    // and a Node Buffer's slice() would share the pooled buffer instead of copying).
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(base + begin, base + end));
    out.set(name, { dtype, shape: entry.shape, data: new Ctor(copy.buffer, 0, count) });
  }
  return out;
}

/** Read and parse a safetensors file. */
export async function readSafetensorsFile(file: string): Promise<Map<string, SafetensorsTensor>> {
  return parseSafetensors(await readFile(file), file);
}
