/**
 * A LoRA adapter in PEFT format: one trainable A [r, in] and B [out, r] variable per adapted
 * module, created with PEFT's init (A kaiming-uniform a=√5, B zeros) from a seed, or loaded
 * from / saved to adapter_config.json + adapter_model.safetensors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniformA5, SeededRandom } from '../engine/seeded-random.js';
import { ConfigError } from '../errors.js';
import { Checkpoint } from '../io/checkpoint.js';
import { readJsonConfig } from '../io/read-config.js';
import { writeSafetensors, type TensorToWrite } from '../io/write-safetensors.js';
import type { LoraPair } from '../nn/linear.js';
import {
  isLoraTarget,
  loraConfigToPeftJson,
  loraRankAndScaling,
  parseLoraConfig,
  type LoraConfig,
} from './lora-config.js';
import type { LoraProvider } from './lora-provider.js';
import { peftLoraKey } from './peft-names.js';

interface Entry {
  readonly a: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R2>;
  readonly scaling: number;
}

/** Module path → [out, in], e.g. from `Qwen3ForCausalLM.linearModules()`. */
export type LinearModuleShapes = ReadonlyMap<string, readonly [number, number]>;

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

export class LoraAdapter implements LoraProvider {
  private disposed = false;
  /**
   * Each distinct scaling as a scalar tensor, made once: a plain number becomes a new scalar tensor in every
   * tf.mul, which on webgpu is a buffer created and uploaded per module per step (bench/gpu/op-host-cost.ts:
   * a multiply by a number cost 2.3× a multiply's host time on lavapipe).
   */
  private readonly scales: ReadonlyMap<number, tf.Scalar>;

  private constructor(
    readonly config: LoraConfig,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {
    const values = new Set([...entries.values()].map((e) => e.scaling));
    this.scales = new Map([...values].map((v) => [v, tf.keep(tf.scalar(v))]));
  }

  /** The modules of `modules` that `config` targets, in model order. */
  private static targets(modules: LinearModuleShapes, config: LoraConfig): [string, readonly [number, number]][] {
    const t = [...modules].filter(([path]) => isLoraTarget(config, path));
    if (!t.length)
      throw new ConfigError('E_LORA_NO_TARGETS', 'no module of the model matches target_modules', {
        targetModules: config.targetModules,
        example: [...modules.keys()][0],
      });
    return t;
  }

  /** A fresh adapter initialised as PEFT does (B = 0, so the model's output is unchanged). */
  static create(modules: LinearModuleShapes, config: LoraConfig, seed: number): LoraAdapter {
    const rng = new SeededRandom(seed);
    const entries = new Map<string, Entry>();
    for (const [path, [out, inp]] of LoraAdapter.targets(modules, config)) {
      const { r, scaling } = loraRankAndScaling(config, path);
      entries.set(path, {
        a: tf.variable(tf.tensor2d(kaimingUniformA5(rng, r, inp), [r, inp])),
        b: tf.variable(tf.zeros([out, r])),
        scaling,
      });
    }
    return new LoraAdapter(config, entries);
  }

  /** Loads a PEFT adapter folder, checking every tensor against the model's modules. */
  static async load(dir: string, modules: LinearModuleShapes): Promise<LoraAdapter> {
    const config = parseLoraConfig(await readJsonConfig(dir, ADAPTER_CONFIG_FILE), join(dir, ADAPTER_CONFIG_FILE));
    const ck = await Checkpoint.open(dir, ADAPTER_WEIGHTS_FILE);
    const entries = new Map<string, Entry>();
    try {
      const targets = LoraAdapter.targets(modules, config);
      const expected = new Map<string, number[]>();
      for (const [path, [out, inp]] of targets) {
        const { r } = loraRankAndScaling(config, path);
        expected.set(peftLoraKey(path, 'A'), [r, inp]);
        expected.set(peftLoraKey(path, 'B'), [out, r]);
      }
      ck.validate(expected);
      for (const [path] of targets) {
        const read = async (side: 'A' | 'B') => {
          const key = peftLoraKey(path, side);
          return tf.variable(tf.tensor2d(await ck.readFloat32(key), ck.info(key).shape as [number, number]));
        };
        entries.set(path, {
          a: await read('A'),
          b: await read('B'),
          scaling: loraRankAndScaling(config, path).scaling,
        });
      }
    } catch (err) {
      for (const e of entries.values()) tf.dispose([e.a, e.b]);
      throw err;
    } finally {
      await ck.close();
    }
    return new LoraAdapter(config, entries);
  }

  /** Writes adapter_config.json + adapter_model.safetensors (PEFT names, float32). */
  async save(dir: string, opts: { baseModelNameOrPath?: string } = {}): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tensors: Record<string, TensorToWrite> = {};
    for (const [path, e] of this.entries) {
      tensors[peftLoraKey(path, 'A')] = { dtype: 'F32', shape: e.a.shape, data: (await e.a.data()) as Float32Array };
      tensors[peftLoraKey(path, 'B')] = { dtype: 'F32', shape: e.b.shape, data: (await e.b.data()) as Float32Array };
    }
    await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
    const cfg = { ...this.config, baseModelNameOrPath: opts.baseModelNameOrPath ?? this.config.baseModelNameOrPath };
    await writeFile(join(dir, ADAPTER_CONFIG_FILE), `${JSON.stringify(loraConfigToPeftJson(cfg), null, 2)}\n`);
  }

  /** Adapted module paths, in model order. */
  modulePaths(): string[] {
    return [...this.entries.keys()];
  }

  pair(modulePath: string): LoraPair | undefined {
    const e = this.entries.get(modulePath);
    return (
      e && { a: e.a, b: e.b, scaling: e.scaling, scale: this.scales.get(e.scaling), dropout: this.config.loraDropout }
    );
  }

  /**
   * Every variable by its PEFT file key (`base_model.model.<path>.lora_A.weight`), or with
   * `adapterName` in the in-memory form PEFT uses for parameter and gradient names.
   */
  variables(adapterName?: string): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    for (const [path, e] of this.entries) {
      m.set(peftLoraKey(path, 'A', adapterName), e.a);
      m.set(peftLoraKey(path, 'B', adapterName), e.b);
    }
    return m;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.entries.values()) tf.dispose([e.a, e.b]);
    tf.dispose([...this.scales.values()]);
  }
}
