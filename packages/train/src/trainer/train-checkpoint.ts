/**
 * What one training checkpoint holds and how it is written and read: the projector
 * (`projector.safetensors`), the LoRA adapter in PEFT format (`adapter/`, loadable by Python
 * peft), the AdamW moments (`optimizer.safetensors` + `optimizer.json`) and `state.json`
 * (position, scheduler, RNG, config). The folder is written atomically by CheckpointStore.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsFile, writeSafetensors } from '@kvc/models';
import type { TensorToWrite } from '@kvc/models';
import { TrainError } from '../errors.js';
import type { AdamW } from '../optim/adamw.js';
import {
  adamWStateFromTensors,
  adamWStateToTensors,
  type AdamWState,
  type AdamWStateHeader,
} from '../optim/adamw-state.js';
import { PROJECTOR_PREFIX } from './trainable-params.js';
import type { TrainParts } from './trainer-types.js';

export const PROJECTOR_FILE = 'projector.safetensors';
export const ADAPTER_DIR = 'adapter';
const OPTIMIZER_FILE = 'optimizer.safetensors';
export const OPTIMIZER_HEADER = 'optimizer.json';

/** Writes projector, adapter and (if given) optimizer state into `dir`. */
export async function writeModelFiles(
  dir: string,
  parts: TrainParts,
  optimizer?: AdamW,
  baseModelName?: string,
): Promise<void> {
  await parts.projector.save(join(dir, PROJECTOR_FILE));
  if (parts.lora)
    await parts.lora.save(join(dir, ADAPTER_DIR), baseModelName ? { baseModelNameOrPath: baseModelName } : {});
  if (optimizer) {
    const { header, tensors } = adamWStateToTensors(optimizer.state());
    const out: Record<string, TensorToWrite> = {};
    for (const [k, v] of tensors) out[k] = { dtype: 'F32', shape: [v.length], data: v };
    await writeSafetensors(join(dir, OPTIMIZER_FILE), out);
    await writeFile(join(dir, OPTIMIZER_HEADER), JSON.stringify(header));
  }
}

/** Loads projector and adapter weights of a checkpoint into the existing variables. */
export async function loadModelFiles(dir: string, parts: TrainParts): Promise<void> {
  await assignFrom(join(dir, PROJECTOR_FILE), parts.projector.variables(''), dir);
  if (parts.lora) await assignFrom(join(dir, ADAPTER_DIR, 'adapter_model.safetensors'), parts.lora.variables(), dir);
}

/** The optimizer state saved in `dir`, if any. */
export async function readOptimizerState(dir: string): Promise<AdamWState | undefined> {
  if (!existsSync(join(dir, OPTIMIZER_HEADER))) return undefined;
  const header = JSON.parse(await readFile(join(dir, OPTIMIZER_HEADER), 'utf8')) as AdamWStateHeader;
  const f = await SafetensorsFile.open(join(dir, OPTIMIZER_FILE));
  try {
    const tensors = new Map<string, Float32Array>();
    for (const name of f.tensors.keys()) tensors.set(name, await f.readFloat32(name));
    return adamWStateFromTensors(header, tensors);
  } finally {
    await f.close();
  }
}

async function assignFrom(file: string, vars: ReadonlyMap<string, tf.Variable>, dir: string): Promise<void> {
  const f = await SafetensorsFile.open(file);
  try {
    for (const [name, v] of vars) {
      const info = f.tensors.get(name);
      if (!info || info.shape.length !== v.shape.length || info.shape.some((d, i) => d !== v.shape[i])) {
        throw new TrainError(
          'E_CHECKPOINT_MISMATCH',
          `checkpoint tensor ${name} is missing or has another shape`,
          { checkpoint: dir, file, tensor: name, expected: v.shape, found: info?.shape ?? null },
          'the checkpoint was written for another model or projector/LoRA configuration',
        );
      }
      const data = await f.readFloat32(name);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  } finally {
    await f.close();
  }
}

export { PROJECTOR_PREFIX };
