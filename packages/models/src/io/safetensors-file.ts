/**
 * Lazy reader of one `.safetensors` file: parses the JSON header once and reads each tensor's
 * bytes on demand at its offset, so a multi-GB checkpoint is never copied into one Buffer.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SafetensorsError } from '../errors.js';
import { DTYPE_BYTES, isSafetensorsDtype, toFloat32, toInt32, type SafetensorsDtype } from './dtype.js';

export interface TensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte range inside the data section (after the header). */
  readonly begin: number;
  readonly end: number;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly dataStart: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Opens `path` and validates its header (dtypes, shapes, offsets within the file). */
  static async open(path: string): Promise<SafetensorsFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new SafetensorsError('E_SAFETENSORS_OPEN', `cannot open safetensors file: ${(err as Error).message}`, {
        file: path,
      });
    }
    try {
      const { size } = await fh.stat();
      const lenBuf = Buffer.alloc(8);
      if (size < 8 || (await fh.read(lenBuf, 0, 8, 0)).bytesRead !== 8)
        throw bad(path, 'file is shorter than the 8-byte header length');
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size)
        throw bad(path, `header length ${headerLen} does not fit in a ${size}-byte file`);
      const headerBuf = Buffer.alloc(headerLen);
      await fh.read(headerBuf, 0, headerLen, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw bad(path, 'header is not valid JSON');
      }
      const dataStart = 8 + headerLen;
      const dataSize = size - dataStart;
      const tensors = new Map<string, TensorInfo>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        if (!isSafetensorsDtype(t.dtype)) throw bad(path, `tensor ${name} has unsupported dtype ${String(t.dtype)}`);
        const shape = t.shape;
        const offs = t.data_offsets;
        if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
          throw bad(path, `tensor ${name} has an invalid shape`);
        if (!Array.isArray(offs) || offs.length !== 2) throw bad(path, `tensor ${name} has invalid data_offsets`);
        const [begin, end] = offs as [number, number];
        const numel = (shape as number[]).reduce((a, b) => a * b, 1);
        if (end - begin !== numel * DTYPE_BYTES[t.dtype] || begin < 0 || end > dataSize) {
          throw bad(
            path,
            `tensor ${name}: byte range [${begin}, ${end}) does not match shape [${shape.join(',')}] ${t.dtype} or the file size`,
          );
        }
        tensors.set(name, { dtype: t.dtype, shape: shape as number[], begin, end });
      }
      return new SafetensorsFile(path, fh, dataStart, tensors, metadata);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t)
      throw new SafetensorsError('E_TENSOR_NOT_FOUND', `tensor ${name} is not in the file`, {
        file: this.path,
        tensor: name,
      });
    return t;
  }

  /** The raw little-endian bytes of one tensor. */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const len = t.end - t.begin;
    // Allocate 8-aligned so F32 views need no copy.
    const buf = new Uint8Array(new ArrayBuffer(len));
    let done = 0;
    while (done < len) {
      // One read is capped near 2 GiB by the OS: loop for large tensors.
      const chunk = Math.min(len - done, 1 << 30);
      const { bytesRead } = await this.fh.read(buf, done, chunk, this.dataStart + t.begin + done);
      if (bytesRead === 0)
        throw new SafetensorsError('E_SAFETENSORS_TRUNCATED', `file ended while reading ${name}`, {
          file: this.path,
          tensor: name,
        });
      done += bytesRead;
    }
    return buf;
  }

  /** One tensor as float32 (bf16/f16/f64 and integers converted). */
  async readFloat32(name: string): Promise<Float32Array> {
    return toFloat32(this.info(name).dtype, await this.readBytes(name));
  }

  /** One integer tensor as int32 (int64 ids checked to fit). */
  async readInt32(name: string): Promise<Int32Array> {
    return toInt32(this.info(name).dtype, await this.readBytes(name));
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function bad(file: string, reason: string): SafetensorsError {
  return new SafetensorsError(
    'E_SAFETENSORS_INVALID',
    `not a valid safetensors file: ${reason}`,
    { file, reason },
    'the file may be truncated (an interrupted download?) or not a safetensors file',
  );
}
