/**
 * Writes a random Qwen3 checkpoint folder in Hugging Face's layout (config.json,
 * generation_config.json, model.safetensors or bf16/f32 shards + index). For tests and
 * tiny demo models: any config, so nothing depends on one fixture's constants.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRandom } from '../engine/seeded-random.js';
import { float32ToBf16Bits, writeSafetensors, type TensorToWrite } from '../io/write-safetensors.js';
import { parseQwen3Config } from '../qwen3/qwen3-config.js';
import { qwen3ExpectedShapes } from '../qwen3/qwen3-weights.js';

export interface RandomQwen3Options {
  readonly seed?: number;
  readonly dtype?: 'F32' | 'BF16';
  /** Split the tensors over this many shard files with an index (default 1: one file). */
  readonly shards?: number;
  /** Standard deviation-ish scale of the weights (uniform ±scale·√3). */
  readonly scale?: number;
}

/** A small Qwen3 config.json (HF field names); override any field. */
export function tinyQwen3ConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    vocab_size: 96,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    hidden_act: 'silu',
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    attention_bias: false,
    eos_token_id: 95,
    pad_token_id: 94,
    torch_dtype: 'float32',
    ...overrides,
  };
}

export async function writeRandomQwen3(
  dir: string,
  configJson: Record<string, unknown>,
  opts: RandomQwen3Options = {},
): Promise<void> {
  const config = parseQwen3Config(configJson);
  const rng = new SeededRandom(opts.seed ?? 1);
  const scale = (opts.scale ?? 0.08) * Math.sqrt(3);
  const shapes = qwen3ExpectedShapes(config);
  if (config.tieWordEmbeddings) shapes.delete('lm_head.weight');
  const tensors: [string, TensorToWrite][] = [...shapes].map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Norm weights near 1 (as trained models have), everything else small and centred.
    const data = name.endsWith('norm.weight') ? rng.uniform(n, 0.8, 1.2) : rng.uniform(n, -scale, scale);
    return [
      name,
      opts.dtype === 'BF16' ? { dtype: 'BF16', shape, data: float32ToBf16Bits(data) } : { dtype: 'F32', shape, data },
    ];
  });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  await writeFile(
    join(dir, 'generation_config.json'),
    JSON.stringify({ eos_token_id: configJson.eos_token_id, pad_token_id: configJson.pad_token_id }),
  );
  const shards = Math.max(1, opts.shards ?? 1);
  if (shards === 1) {
    await writeSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(tensors), { format: 'pt' });
    return;
  }
  const per = Math.ceil(tensors.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    for (const [name] of part) weightMap[name] = file;
    await writeSafetensors(join(dir, file), Object.fromEntries(part), { format: 'pt' });
  }
  await writeFile(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2),
  );
}
