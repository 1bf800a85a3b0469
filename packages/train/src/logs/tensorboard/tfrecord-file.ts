/**
 * An append-only TFRecord file: each record is length (u64 LE), masked CRC-32C of the length,
 * the data, masked CRC-32C of the data. Appends are synchronous, as events.jsonl's are, so what
 * was logged before a crash is on disk and readable.
 */
import { appendFileSync } from 'node:fs';
import { maskedCrc32c } from './crc32c.js';

export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export class TfRecordFile {
  constructor(readonly path: string) {}

  append(...records: Uint8Array[]): void {
    appendFileSync(this.path, Buffer.concat(records.map(tfRecord)));
  }
}
