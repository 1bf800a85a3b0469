/**
 * Loads a Hugging Face Qwen3 folder as it is on disk (config.json + model.safetensors or
 * shards; bf16/f16/f32 weights become float32 tensors, widened on the GPU on webgpu). With
 * quantization nf4 each decoder linear weight is quantized as it is read (on the GPU on webgpu),
 * tensor by tensor, so neither host nor device ever holds the f32 decoder. A checkpoint that does
 * not match the config fails with one WeightMismatchError listing every missing/extra/mis-shaped
 * tensor.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Checkpoint } from '../io/checkpoint.js';
import { DTYPE_BYTES, toFloat32 } from '../io/dtype.js';
import { readJsonConfig } from '../io/read-config.js';
import { F16RowMatrix } from '../gpu/f16-embedding.js';
import { backendMaxTensorBytes, rowMatrixTensors, toRowMatrix, type RowMatrix } from '../nn/row-matrix.js';
import type { LinearWeight } from '../nn/linear.js';
import { checkPrecision, type Precision } from '../nn/precision.js';
import { checkQuantization, type Quantization } from '../quant/quantization.js';
import { WeightLoader, float32Tensor } from '../nn/weight-loader.js';
import { parseQwen3Config, type Qwen3Config } from './qwen3-config.js';
import { Qwen3ForCausalLM } from './qwen3-for-causal-lm.js';
import { qwen3ExpectedShapes, qwen3LinearModules, type Qwen3LayerWeights } from './qwen3-weights.js';

/** Reads and validates `dir/config.json` as a Qwen3 config. */
export async function readQwen3Config(dir: string): Promise<Qwen3Config> {
  const raw = await readJsonConfig(dir);
  return parseQwen3Config(raw, `${dir}/config.json`);
}

export interface LoadQwen3Options {
  /**
   * Largest single tensor in bytes (default: the backend's buffer binding limit, 2 GiB on
   * WebGPU, unbounded elsewhere): a larger embedding or output head loads as row shards.
   */
  readonly maxTensorBytes?: number;
  /**
   * Frozen linear weights (q/k/v/o/gate/up/down) in f32 (default) or f16 on WebGPU
   * (nn/precision.ts). In f16 the embedding and the output head are f16 row shards too
   * (F16RowMatrix: a tied model keeps one copy); norms stay f32.
   */
  readonly precision?: Precision;
  /**
   * `nf4`: the decoder's frozen linear weights (q/k/v/o/gate/up/down) become Nf4Matrix (quant/,
   * bitsandbytes' NF4, blocks of 64); embeddings, norms, biases and the output head stay f32.
   */
  readonly quantization?: Quantization;
  /** With nf4: double-quantize the block scales first, as bnb_4bit_use_double_quant (default false). */
  readonly nf4DoubleQuant?: boolean;
}

/** Loads in f32 (the default): the weights are tensors. */
export async function loadQwen3(
  dir: string,
  opts?: LoadQwen3Options & { readonly precision?: 'f32'; readonly quantization?: 'none' },
): Promise<Qwen3ForCausalLM>;
/** Loads in the given precision and quantization: frozen linear weights may be F16Matrix or Nf4Matrix. */
export async function loadQwen3(dir: string, opts: LoadQwen3Options): Promise<Qwen3ForCausalLM<LinearWeight>>;
export async function loadQwen3(dir: string, opts: LoadQwen3Options = {}): Promise<Qwen3ForCausalLM<LinearWeight>> {
  const maxTensorBytes = opts.maxTensorBytes ?? backendMaxTensorBytes();
  const config = await readQwen3Config(dir);
  checkPrecision(opts.precision ?? 'f32');
  const quantization = opts.quantization ?? 'none';
  checkQuantization(quantization);
  const ck = await Checkpoint.open(dir);
  const l = new WeightLoader(ck, '', opts.precision);
  try {
    ck.validate(qwen3ExpectedShapes(config), {
      // Tied models have no lm_head.weight (HF drops it on save); some files keep it anyway.
      optional: (n) => n === 'lm_head.weight' && config.tieWordEmbeddings,
      // Older exports saved the RoPE buffer; it is recomputed from rope_theta.
      ignore: (n) => n.endsWith('.rotary_emb.inv_freq'),
    });
    const norm = async (name: string) => (await l.tensor(name)) as tf.Tensor1D;
    const doubleQuant = opts.nf4DoubleQuant ?? false;
    const linear = (name: string, bias: boolean) =>
      quantization === 'nf4' ? l.nf4Linear(name, bias, { doubleQuant }) : l.linear(name, bias);
    const layers: Qwen3LayerWeights<LinearWeight>[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const p = `model.layers.${i}`;
      const m = qwen3LinearModules(config, i);
      const ab = config.attentionBias;
      layers.push({
        inputNorm: await norm(`${p}.input_layernorm.weight`),
        postAttentionNorm: await norm(`${p}.post_attention_layernorm.weight`),
        qNorm: await norm(`${p}.self_attn.q_norm.weight`),
        kNorm: await norm(`${p}.self_attn.k_norm.weight`),
        q: await linear(m.q[0], ab),
        k: await linear(m.k[0], ab),
        v: await linear(m.v[0], ab),
        o: await linear(m.o[0], ab),
        gate: await linear(m.gate[0], false),
        up: await linear(m.up[0], false),
        down: await linear(m.down[0], false),
      });
    }
    const readRows = async (name: string): Promise<RowMatrix> => {
      const info = ck.info(name);
      const [rows, cols] = info.shape as [number, number];
      const bytes = await ck.readBytes(name);
      const width = DTYPE_BYTES[info.dtype];
      // In f16 each shard is staged as f32 on the device: a bf16 checkpoint's rows are widened there.
      const stage = (r: number, n: number): tf.Tensor2D => {
        const part = bytes.subarray(r * cols * width, (r + n) * cols * width);
        return float32Tensor(info.dtype, part, [n, cols], maxTensorBytes) as tf.Tensor2D;
      };
      const m =
        opts.precision === 'f16'
          ? F16RowMatrix.fromStaged(rows, cols, maxTensorBytes, stage)
          : toRowMatrix(toFloat32(info.dtype, bytes), rows, cols, maxTensorBytes);
      l.created.push(...rowMatrixTensors(m));
      return m;
    };
    const embedTokens = await readRows('model.embed_tokens.weight');
    const lmHead = config.tieWordEmbeddings ? undefined : await readRows('lm_head.weight');
    return new Qwen3ForCausalLM(config, { embedTokens, layers, norm: await norm('model.norm.weight'), lmHead });
  } catch (err) {
    l.dispose();
    throw err;
  } finally {
    await ck.close();
  }
}
