/**
 * The trainable map from vision features to the LLM's embedding space: `linear` (the seed's
 * nn.Linear) or `mlp2x_gelu` (LLaVA-1.5: Linear → GELU(erf) → Linear). Weights are stored
 * as safetensors with PyTorch's names: `weight`/`bias`, or nn.Sequential's
 * `0.weight`/`0.bias`/`2.weight`/`2.bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniformA5, SeededRandom } from '../engine/seeded-random.js';
import { ConfigError } from '../errors.js';
import { SafetensorsFile } from '../io/safetensors-file.js';
import { writeSafetensors, type TensorToWrite } from '../io/write-safetensors.js';
import { geluErf } from '../nn/activations.js';
import { linear } from '../nn/linear.js';

export type ProjectorType = 'linear' | 'mlp2x_gelu';
export const PROJECTOR_TYPES: readonly ProjectorType[] = ['linear', 'mlp2x_gelu'];

function names(type: ProjectorType): string[] {
  return type === 'linear' ? ['weight', 'bias'] : ['0.weight', '0.bias', '2.weight', '2.bias'];
}

export class Projector {
  private disposed = false;

  private constructor(
    readonly type: ProjectorType,
    private readonly vars: ReadonlyMap<string, tf.Variable>,
  ) {}

  get inputDim(): number {
    return this.vars.get(this.type === 'linear' ? 'weight' : '0.weight')!.shape[1]!;
  }

  get outputDim(): number {
    return this.vars.get(this.type === 'linear' ? 'weight' : '2.weight')!.shape[0]!;
  }

  /** Initialised like torch's nn.Linear (kaiming-uniform a=√5 weights, U(±1/√fan_in) bias). */
  static create(type: ProjectorType, inputDim: number, outputDim: number, seed: number): Projector {
    if (!PROJECTOR_TYPES.includes(type))
      throw new ConfigError(
        'E_PROJECTOR_TYPE',
        `unknown projector type "${String(type)}"`,
        { type },
        `use one of ${PROJECTOR_TYPES.join(', ')}`,
      );
    const rng = new SeededRandom(seed);
    const layer = (out: number, inp: number): [tf.Tensor, tf.Tensor] => [
      tf.tensor2d(kaimingUniformA5(rng, out, inp), [out, inp]),
      tf.tensor1d(rng.uniform(out, -1 / Math.sqrt(inp), 1 / Math.sqrt(inp))),
    ];
    const ts =
      type === 'linear' ? layer(outputDim, inputDim) : [...layer(outputDim, inputDim), ...layer(outputDim, outputDim)];
    return Projector.fromTensors(new Map(names(type).map((n, i) => [n, ts[i]!])), true);
  }

  /**
   * From named tensors (`weight`, `bias`, ... optionally prefixed `projector.`). The type is
   * inferred from the names. `takeOwnership` avoids a copy of tensors the caller gives away.
   */
  static fromTensors(tensors: ReadonlyMap<string, tf.Tensor>, takeOwnership = false): Projector {
    const plain = new Map([...tensors].map(([k, v]) => [k.replace(/^projector\./, ''), v]));
    const type: ProjectorType | undefined = plain.has('weight')
      ? 'linear'
      : plain.has('0.weight')
        ? 'mlp2x_gelu'
        : undefined;
    const want = type ? names(type) : [];
    const extra = [...plain.keys()].filter((k) => !want.includes(k));
    const missing = want.filter((k) => !plain.has(k));
    if (!type || extra.length || missing.length) {
      throw new ConfigError(
        'E_PROJECTOR_TENSORS',
        'projector tensors are neither linear (weight, bias) nor mlp2x_gelu (0.*, 2.*)',
        { names: [...tensors.keys()], missing, extra },
      );
    }
    const vars = new Map(
      want.map((n) => {
        const t = plain.get(n)!;
        const v = tf.variable(t);
        if (takeOwnership) t.dispose();
        return [n, v] as const;
      }),
    );
    return new Projector(type, vars);
  }

  static async load(file: string): Promise<Projector> {
    const f = await SafetensorsFile.open(file);
    const ts = new Map<string, tf.Tensor>();
    try {
      for (const [name, info] of f.tensors)
        ts.set(name, tf.tensor(await f.readFloat32(name), [...info.shape], 'float32'));
      return Projector.fromTensors(ts, true);
    } catch (err) {
      for (const t of ts.values()) if (!t.isDisposed) t.dispose();
      throw err;
    } finally {
      await f.close();
    }
  }

  async save(file: string): Promise<void> {
    const out: Record<string, TensorToWrite> = {};
    for (const [n, v] of this.vars) out[n] = { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array };
    await writeSafetensors(file, out, { format: 'pt', projector_type: this.type });
  }

  /** [..., inputDim] → [..., outputDim]. */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const v = (n: string) => this.vars.get(n)!;
      if (this.type === 'linear')
        return linear(x, { weight: v('weight') as tf.Tensor2D, bias: v('bias') as tf.Tensor1D });
      const h = geluErf(linear(x, { weight: v('0.weight') as tf.Tensor2D, bias: v('0.bias') as tf.Tensor1D }));
      return linear(h, { weight: v('2.weight') as tf.Tensor2D, bias: v('2.bias') as tf.Tensor1D });
    });
  }

  /** Variables by their PyTorch names (`weight`, `0.weight`, ...); `prefix` e.g. "projector.". */
  variables(prefix = ''): Map<string, tf.Variable> {
    return new Map([...this.vars].map(([k, v]) => [prefix + k, v]));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
  }
}
