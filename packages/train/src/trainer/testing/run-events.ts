/**
 * Test helpers around the trainer's event stream and its checkpoints: collect every event of a
 * run, pick events by type, and read a checkpoint's trained weights (projector + adapter) or
 * snapshot live variables, so tests compare weights by name.
 */
import { join } from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import type * as tf from '@tensorflow/tfjs-core';
import { SafetensorsFile } from '@kvc/models';
import { train, type TrainInputs } from '../train.js';
import { ADAPTER_DIR, PROJECTOR_FILE } from '../train-checkpoint.js';
import type { TrainEvent } from '../trainer-types.js';

export type EventOf<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;

/** Every event of a run; `onEvent` sees each as it is emitted (e.g. to abort at a step). */
export async function runEvents(inputs: TrainInputs, onEvent?: (e: TrainEvent) => void): Promise<TrainEvent[]> {
  return lastValueFrom(
    train(inputs).pipe(
      tap((e) => onEvent?.(e)),
      toArray(),
    ),
  );
}

export function ofType<T extends TrainEvent['type']>(events: readonly TrainEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

/** Projector (`projector.<name>`) and adapter (PEFT keys) tensors of a checkpoint folder. */
export async function readCheckpointWeights(dir: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [file, prefix] of [
    [join(dir, PROJECTOR_FILE), 'projector.'],
    [join(dir, ADAPTER_DIR, 'adapter_model.safetensors'), ''],
  ] as const) {
    const f = await SafetensorsFile.open(file);
    try {
      for (const name of f.tensors.keys()) out.set(prefix + name, await f.readFloat32(name));
    } finally {
      await f.close();
    }
  }
  return out;
}

/** Host copies of tensors by name. */
export function snapshot(tensors: ReadonlyMap<string, tf.Tensor>): Map<string, Float32Array> {
  return new Map([...tensors].map(([k, t]) => [k, Float32Array.from(t.dataSync() as Float32Array)]));
}

/** Largest |a - b| over tensors of the same names (Infinity when names or sizes differ). */
export function maxAbsDiff(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): number {
  if (a.size !== b.size) return Infinity;
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || y.length !== x.length) return Infinity;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  }
  return m;
}

/** Names whose tensors differ anywhere. */
export function changedNames(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): string[] {
  return [...a.keys()].filter((k) => {
    const x = a.get(k)!;
    const y = b.get(k);
    return !y || y.length !== x.length || x.some((v, i) => v !== y[i]);
  });
}
