/**
 * A Hugging Face checkpoint folder seen as one set of named tensors: `model.safetensors`, or
 * shards listed by `model.safetensors.index.json` (weight_map: name → file). Tensors are read
 * one at a time, so loading needs memory for the model, not for the files.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelNotFoundError, SafetensorsError, WeightMismatchError } from '../errors.js';
import { SafetensorsFile, type TensorInfo } from './safetensors-file.js';

export class Checkpoint {
  private constructor(
    readonly dir: string,
    private readonly files: readonly SafetensorsFile[],
    private readonly byName: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  /** Opens the weights in `dir` (single file or sharded index). `file` overrides the file name. */
  static async open(dir: string, file = 'model.safetensors'): Promise<Checkpoint> {
    const index = join(dir, `${file}.index.json`);
    const single = join(dir, file);
    if (existsSync(single)) {
      const f = await SafetensorsFile.open(single);
      return new Checkpoint(dir, [f], new Map([...f.tensors.keys()].map((k) => [k, f])));
    }
    if (!existsSync(index)) {
      throw new ModelNotFoundError(
        'E_NO_WEIGHTS',
        `no ${file} or ${file}.index.json in the model folder`,
        { dir },
        'a Hugging Face model folder holds config.json and model.safetensors (or shards with an index)',
      );
    }
    let weightMap: Record<string, string>;
    try {
      weightMap = (JSON.parse(await readFile(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
      if (!weightMap || typeof weightMap !== 'object') throw new Error('no weight_map');
    } catch (err) {
      throw new SafetensorsError('E_INDEX_INVALID', `invalid shard index: ${(err as Error).message}`, { file: index });
    }
    const shards = new Map<string, SafetensorsFile>();
    const byName = new Map<string, SafetensorsFile>();
    try {
      for (const [name, shard] of Object.entries(weightMap)) {
        let f = shards.get(shard);
        if (!f) {
          f = await SafetensorsFile.open(join(dir, shard));
          shards.set(shard, f);
        }
        if (!f.tensors.has(name)) {
          throw new SafetensorsError(
            'E_INDEX_INVALID',
            `the index puts ${name} in ${shard}, which does not contain it`,
            { file: index, shard, tensor: name },
          );
        }
        byName.set(name, f);
      }
    } catch (err) {
      await Promise.all([...shards.values()].map((f) => f.close()));
      throw err;
    }
    return new Checkpoint(dir, [...shards.values()], byName);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    return this.file(name).info(name);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    return this.file(name).readFloat32(name);
  }

  /** One tensor's stored bytes (its dtype: `info(name).dtype`). */
  async readBytes(name: string): Promise<Uint8Array> {
    return this.file(name).readBytes(name);
  }

  async readInt32(name: string): Promise<Int32Array> {
    return this.file(name).readInt32(name);
  }

  /**
   * Checks the checkpoint against the tensors an architecture expects and throws one error
   * listing every missing, unexpected and mis-shaped tensor. `optional` names may be absent
   * (e.g. lm_head.weight when embeddings are tied); `ignore` names may be extra.
   */
  validate(
    expected: ReadonlyMap<string, readonly number[]>,
    opts: { optional?: (name: string) => boolean; ignore?: (name: string) => boolean } = {},
  ): void {
    const missing: string[] = [];
    const misshaped: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
    for (const [name, shape] of expected) {
      const f = this.byName.get(name);
      if (!f) {
        if (!opts.optional?.(name)) missing.push(name);
        continue;
      }
      const actual = f.info(name).shape;
      if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i]))
        misshaped.push({ name, expected: shape, actual });
    }
    const unexpected = this.names().filter((n) => !expected.has(n) && !opts.ignore?.(n));
    if (missing.length || unexpected.length || misshaped.length) {
      throw new WeightMismatchError(missing.sort(), unexpected.sort(), misshaped, { dir: this.dir });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }

  private file(name: string): SafetensorsFile {
    const f = this.byName.get(name);
    if (!f)
      throw new SafetensorsError('E_TENSOR_NOT_FOUND', `tensor ${name} is not in the checkpoint`, {
        dir: this.dir,
        tensor: name,
      });
    return f;
  }
}
