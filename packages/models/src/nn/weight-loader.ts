/**
 * Reads a checkpoint's tensors one at a time into tfjs tensors under a name prefix (bf16 ones widened on
 * the GPU on webgpu: readTensor), and remembers every tensor it made so a model can `dispose()` them all
 * (or a failed build can).
 * Every tensor keeps its checkpoint (torch) layout: `linear` reads weight [out, in] as is.
 * With precision `f16`, linear and patch-conv weights (frozen) become F16Matrix (nn/precision.ts);
 * their f16 bits are what `created` holds, so disposing frees them too. `nf4Linear` quantizes a weight
 * to NF4 as it is read, so only its 4-bit form stays on the backend: on webgpu a bf16 weight's bits go
 * to the GPU quantizer (gpu/nf4-quantize.ts, the same codes), otherwise the host quantizes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint } from '../io/checkpoint.js';
import type { LayerNormWeights } from './layer-norm.js';
import type { AnyLinearWeights, LinearWeight } from './linear.js';
import { convAsLinearWeight } from './patchify.js';
import { checkPrecision, frozenLinearWeight, weightTensors, type Precision } from './precision.js';
import { nf4MatrixFromHost } from '../quant/nf4-matrix-from-host.js';
import { nf4MatrixFromBf16OnGpu } from '../gpu/nf4-quantize.js';
import { toFloat32, type SafetensorsDtype } from '../io/dtype.js';
import { widenBf16OnGpu } from '../gpu/bf16-widen.js';
import { backendMaxTensorBytes } from './row-matrix.js';
import type { Nf4QuantizeOptions } from '../quant/quantize-nf4.js';

export class WeightLoader {
  /** Every tensor this loader created (the model owns them). */
  readonly created: tf.Tensor[] = [];

  constructor(
    private readonly ckpt: Checkpoint,
    readonly prefix = '',
    readonly precision: Precision = 'f32',
  ) {
    checkPrecision(precision);
  }

  /** A loader for names under `prefix + sub` sharing this one's list of created tensors. */
  child(sub: string): WeightLoader {
    const c = new WeightLoader(this.ckpt, this.prefix + sub, this.precision);
    (c as { created: tf.Tensor[] }).created = this.created;
    return c;
  }

  async tensor(name: string): Promise<tf.Tensor> {
    const full = resolveWeightName(this.ckpt, this.prefix + name);
    const t = await readTensor(this.ckpt, full);
    this.created.push(t);
    return t;
  }

  async linear(name: string, bias = true): Promise<AnyLinearWeights> {
    const weight = this.frozenWeight((await this.tensor(`${name}.weight`)) as tf.Tensor2D);
    return bias ? { weight, bias: (await this.tensor(`${name}.bias`)) as tf.Tensor1D } : { weight };
  }

  /** A stride-p patch conv [out, C, p, p] (+ bias) as the linear layer over patch rows it is. */
  async patchConv(name: string, bias: boolean): Promise<AnyLinearWeights> {
    const conv = await this.tensor(`${name}.weight`);
    const weight = this.frozenWeight(convAsLinearWeight(conv));
    return bias ? { weight, bias: (await this.tensor(`${name}.bias`)) as tf.Tensor1D } : { weight };
  }

  /** A frozen linear weight `t` (tracked in `created` or not) in this loader's precision, tracked in `created`. */
  frozenWeight(t: tf.Tensor2D): LinearWeight {
    const i = this.created.indexOf(t);
    if (i >= 0) this.created.splice(i, 1);
    const w = frozenLinearWeight(t, this.precision);
    this.created.push(...weightTensors(w));
    return w;
  }

  /** A frozen linear layer whose weight is quantized to NF4 from the checkpoint's values (bias stays f32). */
  async nf4Linear(name: string, bias: boolean, opts: Nf4QuantizeOptions = {}): Promise<AnyLinearWeights> {
    const full = resolveWeightName(this.ckpt, `${this.prefix}${name}.weight`);
    const info = this.ckpt.info(full);
    const [rows, cols] = info.shape as [number, number];
    // The bytes (and any f32 copy) live only for this call: one tensor's worth of host memory at a time.
    const bytes = await this.ckpt.readBytes(full);
    const onGpu =
      info.dtype === 'BF16' && tf.getBackend() === 'webgpu'
        ? nf4MatrixFromBf16OnGpu(bytes, rows, cols, opts)
        : undefined;
    const weight = onGpu ?? nf4MatrixFromHost(toFloat32(info.dtype, bytes), rows, cols, opts);
    this.created.push(...weightTensors(weight));
    return bias ? { weight, bias: (await this.tensor(`${name}.bias`)) as tf.Tensor1D } : { weight };
  }

  async layerNorm(name: string): Promise<LayerNormWeights> {
    return {
      weight: (await this.tensor(`${name}.weight`)) as tf.Tensor1D,
      bias: (await this.tensor(`${name}.bias`)) as tf.Tensor1D,
    };
  }

  dispose(): void {
    for (const t of this.created) t.dispose();
    this.created.length = 0;
  }
}

/**
 * The name a tensor has in this checkpoint: itself, or the TF-era LayerNorm spelling
 * (`gamma`/`beta`, which HF renames to `weight`/`bias` on load) that old BERT files keep.
 */
export function resolveWeightName(ckpt: Pick<Checkpoint, 'has'>, name: string): string {
  if (ckpt.has(name)) return name;
  const legacy = name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  return ckpt.has(legacy) ? legacy : name;
}

/** Expected names and shapes of a linear layer (torch layout). */
export function linearShapes(name: string, inDim: number, outDim: number, bias = true): [string, number[]][] {
  return bias
    ? [
        [`${name}.weight`, [outDim, inDim]],
        [`${name}.bias`, [outDim]],
      ]
    : [[`${name}.weight`, [outDim, inDim]]];
}

/** Expected names and shapes of a LayerNorm. */
export function layerNormShapes(name: string, dim: number): [string, number[]][] {
  return [
    [`${name}.weight`, [dim]],
    [`${name}.bias`, [dim]],
  ];
}

/**
 * A checkpoint tensor as float32 on the active backend. On webgpu a bf16 tensor is uploaded as bf16 and widened
 * there (gpu/bf16-widen.ts: the same values, half the upload, no widening on the host); otherwise, or when it is
 * over one binding, the host widens it.
 */
export async function readTensor(ckpt: Checkpoint, name: string): Promise<tf.Tensor> {
  const info = ckpt.info(name);
  return float32Tensor(info.dtype, await ckpt.readBytes(name), info.shape, backendMaxTensorBytes());
}

/**
 * Checkpoint bytes of `dtype` as a float32 tensor of `shape` on the active backend: bf16 on webgpu widened there
 * (when its f32 form fits `maxBytes`, one binding), everything else widened on the host. readTensor, and the f16
 * row shards' staging (qwen3/load-qwen3.ts), take it.
 */
export function float32Tensor(
  dtype: SafetensorsDtype,
  bytes: Uint8Array,
  shape: readonly number[],
  maxBytes: number,
): tf.Tensor {
  const onGpu = dtype === 'BF16' && tf.getBackend() === 'webgpu' ? widenBf16OnGpu(bytes, shape, maxBytes) : undefined;
  return onGpu ?? tf.tensor(toFloat32(dtype, bytes), [...shape], 'float32');
}
