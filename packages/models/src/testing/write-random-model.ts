/**
 * Test helper: writes a model folder (config.json + model.safetensors) with seeded random
 * weights for any expected-shapes map, so tests can build configs other than the fixtures'.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../io/write-safetensors.js';

/** mulberry32: a tiny deterministic PRNG in [0, 1). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `config` and random tensors of `shapes` (LayerNorm weights near 1, the rest in ±scale). */
export async function writeRandomModel(
  dir: string,
  config: object,
  shapes: ReadonlyMap<string, readonly number[]>,
  seed = 1,
  scale = 0.3,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rnd = seededUniform(seed);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isNormWeight = /(layer_?norm\w*|LayerNorm|layrnorm)\.(weight|gamma)$/i.test(name);
    for (let i = 0; i < n; i++) data[i] = isNormWeight ? 1 + (rnd() - 0.5) * 0.2 : (rnd() - 0.5) * 2 * scale;
    tensors[name] = { dtype: 'F32', shape, data };
  }
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}
