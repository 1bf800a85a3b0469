/**
 * Reads TensorBoard event files with reference implementations, independent of kvc's writer:
 * the `tfrecord` package's RecordReader (checks both masked CRC-32Cs of every record) and
 * protobufjs decoding against tensorboard.proto (TensorBoard's field numbers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { RecordReader } from 'tfrecord/lib/record_reader.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = protobuf.parse(readFileSync(join(here, 'tensorboard.proto'), 'utf8')).root;
const Event = root.lookupType('tensorboard.Event');

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  metadata?: { pluginData?: { pluginName: string } };
  tensor?: { dtype: number; stringVal: Uint8Array[] };
}
export interface DecodedEvent {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  summary?: { value: DecodedValue[] };
}

export async function readEvents(path: string): Promise<DecodedEvent[]> {
  const reader = await RecordReader.create(path);
  const out: DecodedEvent[] = [];
  try {
    for (let r = await reader.readRecord(); r !== null; r = await reader.readRecord()) {
      out.push(Event.toObject(Event.decode(Uint8Array.from(r)), { longs: Number }) as DecodedEvent);
    }
  } finally {
    await reader.close();
  }
  return out;
}

/** Every scalar of every event file in `dir` (files in name order), as [tag, step, value]. */
export async function readScalars(dir: string): Promise<[string, number, number][]> {
  const out: [string, number, number][] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.includes('tfevents'))
    .sort()) {
    for (const e of await readEvents(join(dir, f))) {
      for (const v of e.summary?.value ?? []) {
        if (v.simpleValue !== undefined) out.push([v.tag, e.step ?? 0, v.simpleValue]);
      }
    }
  }
  return out;
}
