/**
 * Writes the seed preset's four model folders (clip, qwen3, siglip, bert) under OUT: config.json,
 * the processor / generation files and tokenizer files, and either random weights (TS, f32, one
 * file: the tiny scale here) or `random-weights.json` (every tensor's name, shape and init) that
 * write-random-weights.py turns into bf16 shards on the GPU machine (real shapes: 16 GB for
 * Qwen3-8B, minutes in JS, seconds in torch). Usage (through bench/demo/run.sh):
 *   write-models.ts OUT tiny|real weights|manifest [qwen3-layers]
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundledQwen3TokenizerDir, writeSafetensors, type TensorToWrite } from '@kvc/models';
import { seededUniform } from '@kvc/models/testing';
import { modelSpecs, type ModelSpec, type Scale } from './model-specs.js';

const WORDPIECE_DIR = 'test/fixtures/reference/bertscore/model';
/** Norm weights (LayerNorm, RMSNorm, q/k norms) start at one, as trained models have them near one. */
const NORM_WEIGHT = /norm\d?\.weight$/i;
/** The init std of every other tensor (HF's initializer_range). */
const STD = 0.02;

/** How each tensor starts: `ones` or normal(0, std). The Python writer follows the same list. */
export function initOf(name: string): 'ones' | 'normal' {
  return NORM_WEIGHT.test(name) ? 'ones' : 'normal';
}

async function writeFolder(root: string, spec: ModelSpec, weights: 'weights' | 'manifest', seed: number) {
  const dir = join(root, spec.name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec.config, null, 2) + '\n');
  for (const [file, json] of Object.entries(spec.files)) {
    await writeFile(join(dir, file), JSON.stringify(json, null, 2) + '\n');
  }
  const tokDir = spec.tokenizer === 'qwen3' ? bundledQwen3TokenizerDir() : WORDPIECE_DIR;
  const tokFiles =
    spec.tokenizer === 'qwen3'
      ? ['tokenizer.json', 'tokenizer_config.json']
      : ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];
  if (spec.tokenizer !== 'none') for (const f of tokFiles) await copyFile(join(tokDir, f), join(dir, f));
  const tensors = [...spec.shapes].map(([name, shape]) => ({ name, shape, init: initOf(name) }));
  if (weights === 'manifest') {
    const manifest = { dtype: 'BF16', std: STD, tensors };
    await writeFile(join(dir, 'random-weights.json'), JSON.stringify(manifest) + '\n');
    return;
  }
  // Box–Muller normals from a seeded uniform: the same files every time.
  const rnd = seededUniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out: Record<string, TensorToWrite> = {};
  for (const t of tensors) {
    const data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = t.init === 'ones' ? 1 : normal() * STD;
    out[t.name] = { dtype: 'F32', shape: t.shape, data };
  }
  await writeSafetensors(join(dir, 'model.safetensors'), out, { format: 'pt' });
}

async function main(): Promise<void> {
  const [out, scale, weights, layers] = process.argv.slice(2);
  if (!out || (scale !== 'tiny' && scale !== 'real') || (weights !== 'weights' && weights !== 'manifest')) {
    console.error('usage: write-models.ts OUT tiny|real weights|manifest [qwen3-layers]');
    process.exit(2);
  }
  if (scale === 'real' && weights === 'weights')
    console.error('note: real shapes in JS take minutes and 16 GB of disk');
  const specs = modelSpecs(scale as Scale, layers ? Number(layers) : undefined);
  for (const [i, spec] of specs.entries()) {
    await writeFolder(out, spec, weights, i + 1);
    const params = [...spec.shapes.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    console.log(
      `${spec.name}: ${spec.shapes.size} tensors, ${(params / 1e6).toFixed(1)} M parameters → ${join(out, spec.name)}`,
    );
  }
}

await main();
