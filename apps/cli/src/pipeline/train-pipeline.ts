/**
 * `kvc train` end to end, reading top to bottom: dataset → cached vision features → tokenized
 * examples → stage 1 (projector) → stage 2 (projector + LoRA, evaluated every epoch) → final
 * evaluation of the best checkpoint → report files. Resumable at every step: the cache skips
 * what is done, the trainer continues from its latest checkpoint, a finished run is not redone.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { FeatureCache } from '@kvc/feature-cache';
import { initBackend } from '@kvc/models';
import { batchSource, buildExample, loadModelFiles, train } from '@kvc/train';
import type { TrainEvent, TrainSample, TrainerData } from '@kvc/train';
import type { CaptionRecord } from '@kvc/eval';
import type { RunConfig } from '../config/run-config.js';
import { CliError } from '../cli-error.js';
import type { Output, Progress } from '../output.js';
import { cacheSplitFeatures } from './cache-split-features.js';
import { featuresOf } from './features-of.js';
import { generateCaptions } from './generate-captions.js';
import { readSplit } from './read-split.js';
import { loadRunModels } from './run-models.js';
import { ModelScorers } from './model-scorers.js';
import { scoreCaptions } from './score-captions.js';
import { loadVisionEncoder } from './vision-encoder.js';

export interface TrainPipelineOptions {
  readonly config: RunConfig;
  readonly runDir: string;
  readonly resume?: boolean;
  readonly out: Output;
  readonly signal?: AbortSignal;
  /** Extra metrics from the captions (the demo's attribute accuracy). */
  readonly extraMetrics?: (records: readonly CaptionRecord[]) => Record<string, number>;
}

export interface TrainPipelineResult {
  readonly status: 'finished' | 'stopped' | 'skipped';
  readonly runDir: string;
  readonly metrics: Record<string, number>;
}

/** Config keys that only change where things go or how they are shown: they may differ on resume. */
const RESUME_IGNORE = ['name', 'backend', 'features.cacheDir', 'features.batchVideos', 'generation.batchSize', 'eval', 'data.root'];

export async function runTrainPipeline(o: TrainPipelineOptions): Promise<TrainPipelineResult> {
  const { config, out } = o;
  const runDir = resolve(o.runDir);
  const choice = await initBackend(config.backend, { purpose: 'training' });
  out.info(`backend ${choice.backend} (${choice.reason})`);
  out.event('backend', { ...choice });

  // --- data and features
  const root = resolve(config.data.root);
  const trainSplit = await readSplit(root, config.data.trainSplit, config.data.maxSamples, out);
  const valSplit = await readSplit(root, config.data.valSplit, config.eval.maxSamples || config.data.maxSamples, out);
  if (trainSplit.samples.length === 0) throw new CliError('E_NO_TRAIN_DATA', `no usable training samples in ${root}/${config.data.trainSplit}`, { root, split: config.data.trainSplit }, 'run `kvc check-data` on the dataset');
  const cache = await FeatureCache.open(resolve(config.features.cacheDir));
  try {
    const encoder = await loadVisionEncoder(config);
    const [trainCached, valCached] = await (async () => {
      try {
        const t = await cacheSplitFeatures({ split: trainSplit.split, samples: trainSplit.samples, cache, encoder, config, out });
        const v = await cacheSplitFeatures({ split: valSplit.split, samples: valSplit.samples, cache, encoder, config, out });
        return [t, v] as const;
      } finally {
        encoder.dispose();
      }
    })();
    out.event('features', { train: { hits: trainCached.hits, encoded: trainCached.encoded, skipped: trainCached.skipped.length }, val: { hits: valCached.hits, encoded: valCached.encoded, skipped: valCached.skipped.length } });
    const firstKey = trainCached.keys.values().next().value as string | undefined;
    if (!firstKey) throw new CliError('E_NO_TRAIN_DATA', 'no training video could be decoded', { root }, 'run `kvc check-data --data DIR` to see why');
    const visionDim = featuresOf(cache, firstKey, 'first sample', config).shape[1]!;

    // --- models and examples
    const models = await loadRunModels(config, visionDim, out);
    let disposeScorers: () => Promise<void> = async () => undefined;
    try {
      const promptIds = models.tokenizer.encode(config.prompt);
      let truncated = 0;
      const samples: TrainSample[] = trainSplit.samples
        .filter((s) => trainCached.keys.has(s.id))
        .map((s) => {
          const example = buildExample({ promptIds, captionIds: models.tokenizer.encode(s.caption), eosId: models.eosId, maxTextLength: config.maxTextLength });
          if (example.truncated) truncated++;
          return { id: s.id, example };
        });
      if (truncated) out.warn(`${truncated} of ${samples.length} captions were cut to maxTextLength ${config.maxTextLength} (EOS kept)`);
      const bs = config.train.batchSize;
      const data: TrainerData = {
        batchesPerEpoch: Math.ceil(samples.length / bs),
        batches: (stage, epoch, start) =>
          batchSource({
            samples,
            loadFeatures: async (id) => featuresOf(cache, trainCached.keys.get(id)!, id, config),
            batchSize: bs,
            padId: models.padId,
            seed: config.train.seed,
            // Each (stage, epoch) has its own order.
            epoch: (stage === 'stage1' ? 0 : 1000) + epoch,
            startBatch: start,
          }),
      };
      const scorers = new ModelScorers(config, out, join(root, config.data.valSplit));
      disposeScorers = () => scorers.dispose();
      const evaluateSplit = async (label: string, dir: string) => {
        const records = await generateCaptions({ samples: valSplit.samples, keys: valCached.keys, cache, models, config, out, label });
        return scoreCaptions({ records, config, dir, out, scorers, dataRoot: join(root, config.data.valSplit), ...(o.extraMetrics ? { extraMetrics: o.extraMetrics } : {}) });
      };

      // --- stages
      const t = config.train;
      const run = { status: 'finished' as TrainPipelineResult['status'] };
      let bar: Progress | undefined;
      await lastValueFrom(
        train({
          options: {
            runDir,
            stages: [
              { name: 'stage1', epochs: t.stage1.epochs, lr: t.stage1.lr, trainLora: false },
              { name: 'stage2', epochs: t.stage2.epochs, lr: t.stage2.lr, ...(t.stage2.projectorLr ? { projectorLr: t.stage2.projectorLr } : {}), trainLora: true, evaluate: valCached.keys.size > 0 },
            ],
            gradAccumulation: t.gradAccumulation,
            maxGradNorm: t.maxGradNorm,
            warmupRatio: t.warmupRatio,
            weightDecay: t.weightDecay,
            betas: t.betas,
            eps: t.eps,
            seed: t.seed,
            gradientCheckpointing: t.gradientCheckpointing,
            bestMetric: t.bestMetric === 'bertscore_f1' ? 'bertscore_f1' : t.bestMetric === 'cider' ? 'cider_d' : t.bestMetric,
            config,
            resumeIgnoreKeys: RESUME_IGNORE,
            resume: Boolean(o.resume),
            baseModelName: config.llm.model,
          },
          parts: models,
          data,
          evaluate: async ({ stage, epoch }) => {
            const r = await evaluateSplit(`captions ${stage} epoch ${epoch}`, await ensureDir(join(runDir, 'eval', `${stage}-epoch${epoch}`)));
            return { metrics: r.metrics, details: { predictions: r.files.predictions } };
          },
          ...(o.signal ? { signal: o.signal } : {}),
        }).pipe(
          tap((e: TrainEvent) => {
            out.event('train', e as unknown as Record<string, unknown>);
            if (e.type === 'stage-start') {
              bar?.done();
              bar = out.progress(e.stage, e.totalSteps);
            } else if (e.type === 'step') bar?.tick(1, `loss ${e.loss.toFixed(3)} lr ${e.lr.toExponential(1)}`);
            else if (e.type === 'evaluation') out.info(`  ${e.stage} epoch ${e.epoch}: ${formatMetrics(e.metrics)}${e.best ? ' (best)' : ''}`);
            else if (e.type === 'warning') out.warn(e.message);
            else if (e.type === 'skip') {
              run.status = 'skipped';
              out.info(`skip: ${e.reason} (${e.checkpoint})`);
            } else if (e.type === 'stopped') run.status = 'stopped';
          }),
        ),
        { defaultValue: undefined },
      );
      bar?.done();
      const status = run.status;
      if (status === 'stopped') return { status, runDir, metrics: {} };
      if (status === 'skipped' && existsSync(join(runDir, 'final_metrics.json'))) {
        return { status, runDir, metrics: JSON.parse(await readFile(join(runDir, 'final_metrics.json'), 'utf8')) as Record<string, number> };
      }

      // --- final evaluation with the best checkpoint
      await loadModelFiles(join(runDir, 'best'), models);
      const final = await evaluateSplit('captions (best checkpoint)', runDir);
      await writeFile(join(runDir, 'final_metrics.json'), JSON.stringify(final.metrics, null, 2) + '\n');
      return { status, runDir, metrics: final.metrics };
    } finally {
      await disposeScorers();
      models.dispose();
    }
  } finally {
    await cache.close();
  }
}

async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

export function formatMetrics(m: Readonly<Record<string, number>>): string {
  const keys = ['meteor', 'siglip', 'bertscore_f1', 'cider_d', 'bleu_4', 'rouge_l', 'unique_ratio', 'eos_rate', 'attribute_accuracy'];
  return keys.filter((k) => m[k] !== undefined).map((k) => `${k} ${m[k]!.toFixed(3)}`).join('  ');
}
