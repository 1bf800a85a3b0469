/**
 * Writes a `.safetensors` file atomically (temp file + rename): a crash never leaves a
 * half-written checkpoint under the final name. Layout as the Python library writes it:
 * u64 header length, JSON header padded with spaces to 8 bytes, then the tensor bytes.
 */
import { open, rename, rm } from 'node:fs/promises';
import { wrapWriteError } from '@kvc/errors';
import { SafetensorsError } from '../errors.js';
import { DTYPE_BYTES, type SafetensorsDtype } from './dtype.js';

export interface TensorToWrite {
  readonly dtype: Extract<SafetensorsDtype, 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8'>;
  readonly shape: readonly number[];
  /** Raw data: Float32Array for F32, Int32Array for I32, BigInt64Array for I64, Uint16Array (bits) for F16/BF16, Uint8Array for U8. */
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array;
}

export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  // Sorted names: deterministic bytes for the same content.
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const bytes = numel * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new RangeError(
        `writeSafetensors: ${name} has ${t.data.byteLength} bytes, shape [${t.shape.join(',')}] ${t.dtype} needs ${bytes}`,
      );
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));

  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  // Storage errors (disk full, quota, permission) name the checkpoint: a failed write(2) says nothing of where.
  const failed = (err: unknown): unknown => wrapWriteError(err, path, SafetensorsError);
  const fh = await open(tmp, 'w').catch((err: unknown) => {
    throw failed(err);
  });
  try {
    await fh.write(len);
    await fh.write(headerBytes);
    for (const name of names) {
      const d = tensors[name]!.data;
      await fh.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw failed(err);
  }
  await fh.close();
  await rename(tmp, path).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw failed(err);
  });
}

/** float32 → bfloat16 bits with round-to-nearest-even (what torch's `.to(bfloat16)` does). */
export function float32ToBf16Bits(x: Float32Array): Uint16Array {
  const u32 = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = u32[i]!;
    if ((v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0) {
      out[i] = (v >>> 16) | 0x40; // keep NaN a NaN
      continue;
    }
    const rounding = 0x7fff + ((v >>> 16) & 1);
    out[i] = ((v + rounding) >>> 16) & 0xffff;
  }
  return out;
}
