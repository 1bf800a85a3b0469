/**
 * What `kvc train` hands the trainer, from the run config: its options (two stages, the run's
 * optimizer settings, training_log.csv columns from the metric registry) and its data
 * (tokenized examples with their cached features, each (stage, epoch) in its own order).
 */
import { TRAINING_LOG_METRICS } from '@kvc/eval';
import type { LayerCheckpointing } from '@kvc/models';
import { batchSource, buildExample, stageDataEpoch } from '@kvc/train';
import type { TrainSample, TrainerData, TrainerOptions } from '@kvc/train';
import { CliError } from '../cli-error.js';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';
import { featuresOf } from './features-of.js';
import type { PipelineSetup, ReadySplit } from './pipeline-setup.js';
import type { RunModels } from './run-models.js';

/** Config keys that only change where things go or how they are shown: they may differ on resume. */
const RESUME_IGNORE = [
  'name',
  'backend',
  // Numerics, not state: a run may continue in the other precision (the loss scaler restarts or is unused).
  'precision',
  'kernels',
  // Memory and speed only: the same results either way.
  'gpuPoolGiB',
  'gpuMemoryGiB',
  'train.checkpointStageInputs',
  'train.checkpointAttention',
  'train.lossScale',
  'train.checkNonFinite',
  'features.cacheDir',
  'features.batchVideos',
  'features.decodeConcurrency',
  'features.decodeIn',
  'generation.batchSize',
  'eval',
  'data.root',
  // How often and how many checkpoints are written changes no weight: a resumed run may change it.
  'train.checkpointEverySteps',
  'train.keepCheckpoints',
  'train.tensorboard',
];

/** The trainer's options from the run config (stage 2 evaluated when there is a validation split). */
export function trainerOptions(config: RunConfig, runDir: string, evaluate: boolean): TrainerOptions {
  const t = config.train;
  const projectorLr = t.stage2.projectorLr ? { projectorLr: t.stage2.projectorLr } : {};
  return {
    runDir,
    stages: [
      { name: 'stage1', epochs: t.stage1.epochs, lr: t.stage1.lr, trainLora: false },
      { name: 'stage2', epochs: t.stage2.epochs, lr: t.stage2.lr, ...projectorLr, trainLora: true, evaluate },
    ],
    gradAccumulation: t.gradAccumulation,
    maxGradNorm: t.maxGradNorm,
    warmupRatio: t.warmupRatio,
    weightDecay: t.weightDecay,
    betas: t.betas,
    eps: t.eps,
    seed: t.seed,
    gradientCheckpointing: layerCheckpointing(t),
    checkpointEverySteps: t.checkpointEverySteps,
    keepCheckpoints: t.keepCheckpoints,
    tensorboard: t.tensorboard,
    ...(config.precision === 'f16' ? { lossScale: lossScaleOptions(t.lossScale) } : {}),
    checkNonFinite: t.checkNonFinite,
    logMetrics: TRAINING_LOG_METRICS,
    config,
    resumeIgnoreKeys: RESUME_IGNORE,
    baseModelName: config.llm.model,
  };
}

function lossScaleOptions(l: RunConfig['train']['lossScale']): NonNullable<TrainerOptions['lossScale']> {
  const { init, ...rest } = l;
  return { initScale: init, ...rest };
}

/** Tokenized training examples (prompt + caption + EOS) and their cached features, batched per (stage, epoch). */
export function trainerData(
  config: RunConfig,
  setup: PipelineSetup,
  split: ReadySplit,
  models: RunModels,
  out: Output,
): TrainerData {
  const promptIds = models.tokenizer.encode(config.prompt);
  checkTextRoom(config.maxTextLength, promptIds.length);
  let truncated = 0;
  const samples: TrainSample[] = split.samples
    .filter((s) => split.keys.has(s.id))
    .map((s) => {
      const captionIds = models.tokenizer.encode(s.caption);
      const example = buildExample({ promptIds, captionIds, eosId: models.eosId, maxTextLength: config.maxTextLength });
      if (example.truncated) truncated++;
      return { id: s.id, example };
    });
  if (truncated) {
    out.warn(`${truncated} of ${samples.length} captions were cut to maxTextLength ${config.maxTextLength} (EOS kept)`);
  }
  const bs = config.train.batchSize;
  return {
    batchesPerEpoch: Math.ceil(samples.length / bs),
    batches: (_stage, epoch, start, stageIndex) =>
      batchSource({
        samples,
        loadFeatures: async (id) => featuresOf(setup.cache, split.keys.get(id)!, id, config),
        batchSize: bs,
        padId: models.padId,
        seed: config.train.seed,
        epoch: stageDataEpoch(stageIndex, epoch),
        startBatch: start,
      }),
  };
}

/**
 * maxTextLength must hold the prompt, at least one caption token and EOS. The config check at load
 * knows only the minimum (an empty prompt); the prompt's real token count is known here.
 */
export function checkTextRoom(maxTextLength: number, promptTokens: number): void {
  if (maxTextLength >= promptTokens + 2) return;
  throw new CliError(
    'E_CONFIG_INVALID',
    `maxTextLength ${maxTextLength} leaves no room for a caption after the ${promptTokens}-token prompt and EOS`,
    { maxTextLength, promptTokens, needed: promptTokens + 2 },
    'raise maxTextLength (the seed uses 768) or shorten the prompt',
  );
}

/** train.gradientCheckpointing and what it keeps, as the models' LayerCheckpointing. */
function layerCheckpointing(t: RunConfig['train']): LayerCheckpointing {
  if (!t.gradientCheckpointing) return false;
  if (t.checkpointAttention) return 'keep-attention';
  return t.checkpointStageInputs ? 'keep-stage-inputs' : true;
}
