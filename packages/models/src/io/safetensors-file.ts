/**
 * Lazy reader of one `.safetensors` file: parses the JSON header once and reads each tensor's
 * bytes on demand at its offset, so a multi-GB checkpoint is never copied into one Buffer.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SafetensorsError } from '../errors.js';
import { toFloat32, toInt32 } from './dtype.js';
import { invalidSafetensors, parseSafetensorsHeader, type TensorInfo } from './safetensors-header.js';

export type { TensorInfo } from './safetensors-header.js';

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly dataStart: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Opens `path` and validates its header strictly (safetensors-header.ts) before any tensor is read. */
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
        throw invalidSafetensors(path, 'the file is shorter than the 8-byte header length');
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size)
        throw invalidSafetensors(path, `header length ${headerLen} does not fit in a ${size}-byte file`);
      const headerBuf = Buffer.alloc(headerLen);
      if ((await fh.read(headerBuf, 0, headerLen, 8)).bytesRead !== headerLen)
        throw invalidSafetensors(path, 'the file ended inside the header');
      const dataStart = 8 + headerLen;
      const { tensors, metadata } = parseSafetensorsHeader(path, headerBuf, size - dataStart);
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
