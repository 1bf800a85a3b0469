// A training run in its own process, for kill -9 / resume tests: trains a tiny seeded Qwen3 +
// LoRA (dropout on, so the RNG state must survive a resume) + projector through the BUILT
// @kvc/train and @kvc/models, checkpointing after every optimizer step, and prints every
// event as one JSON line on stdout.
//
// usage: node train-child.mjs <workDir> <runName> [--resume]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LoraAdapter, Projector, SEED_LORA_CONFIG, SeededRandom, initBackend, loadQwen3 } from '@kvc/models';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import { batchSource, buildExample, epochOrder, train } from '@kvc/train';

const [workDir, runName, flag] = process.argv.slice(2);
if (!workDir || !runName) throw new Error('usage: train-child.mjs <workDir> <runName> [--resume]');
const SEED = 11;
const VOCAB = 64;
const EOS = VOCAB - 1;
const PAD = VOCAB - 2;
const HIDDEN = 16;
const VISION = [3, 8];
const NUM_SAMPLES = 6;

await initBackend('wasm', { purpose: 'training' });
const modelDir = join(workDir, 'model');
// The parent writes the model once before starting children; a child never races another.
if (!existsSync(join(modelDir, 'model.safetensors'))) {
  const config = tinyQwen3ConfigJson({ vocab_size: VOCAB, hidden_size: HIDDEN, intermediate_size: 2 * HIDDEN, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, eos_token_id: EOS, pad_token_id: PAD });
  await writeRandomQwen3(modelDir, config, { seed: SEED, scale: 0.4 });
}
const model = await loadQwen3(modelDir);
const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, r: 4, loraAlpha: 8, loraDropout: 0.1 }, SEED + 1);
const projector = Projector.create('linear', VISION[1], HIDDEN, SEED + 2);

const rng = new SeededRandom(SEED + 3);
const features = new Map();
const samples = [];
for (let i = 0; i < NUM_SAMPLES; i++) {
  const id = `v${i}`;
  const caption = Array.from(rng.uniform(4, 6, PAD - 0.001), (x) => Math.floor(x));
  features.set(id, { shape: VISION, data: rng.uniform(VISION[0] * VISION[1], -1, 1) });
  samples.push({ id, example: buildExample({ promptIds: [3, 4, 5], captionIds: caption, eosId: EOS, maxTextLength: 32 }) });
}
const loadFeatures = async (id) => features.get(id);
const batchSize = 1;

const events = train({
  options: {
    runDir: join(workDir, runName),
    stages: [
      { name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false },
      { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true },
    ],
    gradAccumulation: 2,
    maxGradNorm: 1,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    betas: [0.9, 0.999],
    eps: 1e-8,
    seed: SEED,
    checkpointEverySteps: 1,
    keepCheckpoints: 2,
    config: { seed: SEED, model: 'tiny', lr: 1e-2 },
    resume: flag === '--resume',
  },
  parts: { model, projector, lora },
  data: {
    batchesPerEpoch: epochOrder({ numSamples: NUM_SAMPLES, batchSize, seed: SEED, epoch: 0 }).length,
    batches: (_stage, epoch, startBatch) => batchSource({ samples, loadFeatures, batchSize, padId: PAD, seed: SEED, epoch, startBatch }),
  },
});
events.subscribe({
  next: (e) => process.stdout.write(JSON.stringify(e) + '\n'),
  error: (err) => {
    process.stdout.write(JSON.stringify({ type: 'error', code: err.code, message: err.message, hint: err.hint }) + '\n');
    process.exitCode = 1;
  },
});
