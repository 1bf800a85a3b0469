/**
 * Loads a Hugging Face Qwen3 folder as it is on disk (config.json + model.safetensors or
 * shards; bf16/f16/f32 weights become float32 tensors). A checkpoint that does not match the
 * config fails with one WeightMismatchError listing every missing/extra/mis-shaped tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Checkpoint } from '../io/checkpoint.js';
import { backendMaxTensorBytes, rowShards, toRowMatrix, type RowMatrix } from '../nn-lm/row-matrix.js';
import { readJsonConfig } from '../io/read-config.js';
import type { LinearParams } from '../nn-lm/linear.js';
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
}

export async function loadQwen3(dir: string, opts: LoadQwen3Options = {}): Promise<Qwen3ForCausalLM> {
  const maxTensorBytes = opts.maxTensorBytes ?? backendMaxTensorBytes();
  const config = await readQwen3Config(dir);
  const ck = await Checkpoint.open(dir);
  const created: tf.Tensor[] = [];
  try {
    ck.validate(qwen3ExpectedShapes(config), {
      // Tied models have no lm_head.weight (HF drops it on save); some files keep it anyway.
      optional: (n) => n === 'lm_head.weight' && config.tieWordEmbeddings,
      // Older exports saved the RoPE buffer; it is recomputed from rope_theta.
      ignore: (n) => n.endsWith('.rotary_emb.inv_freq'),
    });
    const read = async <T extends tf.Tensor>(name: string): Promise<T> => {
      const t = tf.tensor(await ck.readFloat32(name), [...ck.info(name).shape], 'float32') as T;
      created.push(t);
      return t;
    };
    const lin = async (path: string, bias: boolean): Promise<LinearParams> => ({
      weight: await read<tf.Tensor2D>(`${path}.weight`),
      ...(bias ? { bias: await read<tf.Tensor1D>(`${path}.bias`) } : {}),
    });
    const layers: Qwen3LayerWeights[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const p = `model.layers.${i}`;
      const m = qwen3LinearModules(config, i);
      const ab = config.attentionBias;
      layers.push({
        inputNorm: await read(`${p}.input_layernorm.weight`),
        postAttentionNorm: await read(`${p}.post_attention_layernorm.weight`),
        qNorm: await read(`${p}.self_attn.q_norm.weight`),
        kNorm: await read(`${p}.self_attn.k_norm.weight`),
        q: await lin(m.q[0], ab),
        k: await lin(m.k[0], ab),
        v: await lin(m.v[0], ab),
        o: await lin(m.o[0], ab),
        gate: await lin(m.gate[0], false),
        up: await lin(m.up[0], false),
        down: await lin(m.down[0], false),
      });
    }
    const readRows = async (name: string): Promise<RowMatrix> => {
      const [rows, cols] = ck.info(name).shape as [number, number];
      const m = toRowMatrix(await ck.readFloat32(name), rows, cols, maxTensorBytes);
      created.push(...rowShards(m));
      return m;
    };
    const embedTokens = await readRows('model.embed_tokens.weight');
    const norm = await read<tf.Tensor1D>('model.norm.weight');
    const lmHead = config.tieWordEmbeddings ? undefined : await readRows('lm_head.weight');
    return new Qwen3ForCausalLM(config, { embedTokens, layers, norm, lmHead });
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  } finally {
    await ck.close();
  }
}
