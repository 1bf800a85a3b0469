// A training run in its own process, for kill -9 / resume tests: trains the shared tiny seeded
// setup of @kvc/train/testing (Qwen3 + LoRA with dropout on, so the RNG state must survive a
// resume, + projector) through the BUILT packages, checkpointing after every optimizer step, and
// prints every event as one JSON line on stdout.
//
// usage: node train-child.mjs <workDir> <runName> [--resume]
import { initBackend } from '@kvc/models';
import { train } from '@kvc/train';
import { tinySetup } from '@kvc/train/testing';

const [workDir, runName, flag] = process.argv.slice(2);
if (!workDir || !runName) throw new Error('usage: train-child.mjs <workDir> <runName> [--resume]');
const SEED = 11;

await initBackend('wasm', { purpose: 'training' });
// Children run one after another, so rewriting the (identical, seeded) model never races a reader.
const setup = await tinySetup({
  dir: workDir,
  seed: SEED,
  hidden: 16,
  numSamples: 6,
  captionLength: 4,
  visionTokens: 3,
  loraDropout: 0.1,
});

const events = train({
  options: setup.options(runName, {
    stages: [
      { name: 'stage1', epochs: 2, lr: 1e-2, trainLora: false },
      { name: 'stage2', epochs: 2, lr: 1e-2, trainLora: true },
    ],
    gradAccumulation: 2,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    checkpointEverySteps: 1,
    keepCheckpoints: 2,
    config: { seed: SEED, model: 'tiny', lr: 1e-2 },
    resume: flag === '--resume',
  }),
  parts: setup.parts,
  data: setup.data({ batchSize: 1 }),
});
events.subscribe({
  next: (e) => process.stdout.write(JSON.stringify(e) + '\n'),
  error: (err) => {
    process.stdout.write(
      JSON.stringify({ type: 'error', code: err.code, message: err.message, hint: err.hint }) + '\n',
    );
    process.exitCode = 1;
  },
});
