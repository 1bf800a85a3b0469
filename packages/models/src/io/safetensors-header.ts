/**
 * Validating a safetensors header strictly, before any tensor byte is read: the header is a JSON
 * object; each tensor has a known dtype, a shape of non-negative integers and `data_offsets` of
 * two safe integers `[begin, end]` with `begin <= end` and `end - begin` the shape's byte size;
 * the ranges lie inside the data section and do not overlap. Anything else would read the wrong
 * bytes silently (a string offset such as "8" compares and subtracts like a number in JS).
 */
import { SafetensorsError } from '../errors.js';
import { DTYPE_BYTES, isSafetensorsDtype, type SafetensorsDtype } from './dtype.js';

export interface TensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte range inside the data section (after the header). */
  readonly begin: number;
  readonly end: number;
}

/** The tensors and the `__metadata__` strings of a validated header. */
export interface SafetensorsHeader {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

/** An `E_SAFETENSORS_INVALID` error naming the file (and the tensor, when one is at fault). */
export function invalidSafetensors(file: string, reason: string, tensor?: string): SafetensorsError {
  return new SafetensorsError(
    'E_SAFETENSORS_INVALID',
    `not a valid safetensors file: ${tensor === undefined ? '' : `tensor ${tensor}: `}${reason}`,
    { file, ...(tensor === undefined ? {} : { tensor }), reason },
    'the file may be truncated (an interrupted download?), damaged, or not a safetensors file',
  );
}

/** Parse and validate the header bytes of `file` whose data section holds `dataSize` bytes. */
export function parseSafetensorsHeader(file: string, bytes: Uint8Array, dataSize: number): SafetensorsHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalidSafetensors(file, 'the header is not valid UTF-8 JSON');
  }
  if (!isObject(header)) throw invalidSafetensors(file, `the header is ${describe(header)}, not a JSON object`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = metadataOf(file, raw);
      continue;
    }
    tensors.set(name, tensorInfo(file, name, raw, dataSize));
  }
  checkNoOverlap(file, tensors);
  return { tensors, metadata };
}

function metadataOf(file: string, raw: unknown): Record<string, string> {
  if (!isObject(raw)) throw invalidSafetensors(file, `__metadata__ is ${describe(raw)}, not an object of strings`);
  for (const [k, v] of Object.entries(raw))
    if (typeof v !== 'string') throw invalidSafetensors(file, `__metadata__.${k} is ${describe(v)}, not a string`);
  return raw as Record<string, string>;
}

function tensorInfo(file: string, name: string, raw: unknown, dataSize: number): TensorInfo {
  const bad = (reason: string): SafetensorsError => invalidSafetensors(file, reason, name);
  if (!isObject(raw)) throw bad(`its entry is ${describe(raw)}, not an object`);
  const { dtype, shape, data_offsets: offs } = raw;
  if (!isSafetensorsDtype(dtype)) throw bad(`unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0))
    throw bad(`data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`);
  const [begin, end] = offs as [number, number];
  if (begin > end) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) throw bad(`data_offsets [${begin}, ${end}] run past the ${dataSize}-byte data section`);
  const bytes = (shape as number[]).reduce((a, b) => a * b, DTYPE_BYTES[dtype]);
  if (end - begin !== bytes)
    throw bad(
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes; shape [${shape.join(',')}] ${dtype} needs ${bytes}`,
    );
  return { dtype, shape: shape as number[], begin, end };
}

function checkNoOverlap(file: string, tensors: ReadonlyMap<string, TensorInfo>): void {
  const byBegin = [...tensors].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byBegin.length; i++) {
    const [prevName, prev] = byBegin[i - 1]!;
    const [name, t] = byBegin[i]!;
    if (t.begin < prev.end)
      throw invalidSafetensors(
        file,
        `data_offsets [${t.begin}, ${t.end}] overlap ${prevName}'s [${prev.begin}, ${prev.end}]`,
        name,
      );
  }
}
