/**
 * `kvc train` end to end, reading top to bottom: dataset → cached vision features → tokenized
 * examples → stage 1 (projector) → stage 2 (projector + LoRA, evaluated every epoch) → final
 * evaluation of the best checkpoint → report files. Resumable at every step: the cache skips
 * what is done, the trainer continues from its latest checkpoint, a finished run is not redone.
 * The run folder is locked throughout: a second `kvc train` into it is refused (E_RUN_LOCKED).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { METRICS, metricSpec } from '@kvc/eval';
import type { CaptionRecord } from '@kvc/eval';
import { acquireRunLock, loadModelFiles, train } from '@kvc/train';
import type { CaptionSample, EvaluateHook, TrainEvent, TrainerOptions } from '@kvc/train';
import type { RunConfig } from '../config/run-config.js';
import type { Output, Progress } from '../output.js';
import { generateCaptions } from './generate-captions.js';
import { ModelScorers } from './model-scorers.js';
import { withPipelineSetup, type ReadySplit } from './pipeline-setup.js';
import { loadRunModels } from './run-models.js';
import { scoreCaptions } from './score-captions.js';
import { trainerData, trainerOptions } from './trainer-inputs.js';

export interface TrainPipelineOptions {
  readonly config: RunConfig;
  readonly runDir: string;
  readonly resume?: boolean;
  /** A checkpoint folder to continue from instead of the run's latest (`--resume PATH`). */
  readonly resumeFrom?: string;
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

/** Below this share of unique captions the model is probably collapsing to one caption. */
const LOW_DIVERSITY = 0.5;

export async function runTrainPipeline(o: TrainPipelineOptions): Promise<TrainPipelineResult> {
  const runDir = resolve(o.runDir);
  // One writer per run folder for the whole pipeline (training and the final evaluation's files),
  // taken before the slow setup so a second `kvc train` into it fails at once.
  await mkdir(runDir, { recursive: true });
  const lock = acquireRunLock(runDir);
  try {
    if (lock.warning) o.out.warn(lock.warning.message);
    return await trainLocked(o, runDir);
  } finally {
    lock.release();
  }
}

async function trainLocked(o: TrainPipelineOptions, runDir: string): Promise<TrainPipelineResult> {
  const { config, out } = o;
  const best = bestMetricOf(config.train.bestMetric);
  const splits = [
    { role: 'train', split: config.data.trainSplit, maxSamples: config.data.maxSamples },
    { role: 'val', split: config.data.valSplit, maxSamples: config.eval.maxSamples || config.data.maxSamples },
  ];
  const setupOptions = { config, out, purpose: 'training', splits, noDataCode: 'E_NO_TRAIN_DATA' } as const;
  return withPipelineSetup(setupOptions, async (setup) => {
    const [trainSplit, valSplit] = setup.splits as [ReadySplit, ReadySplit];
    const models = await loadRunModels(config, setup.visionDim, out);
    const dataRoot = join(setup.root, config.data.valSplit);
    const scorers = new ModelScorers(config, out, dataRoot);
    try {
      const evaluateSplit = async (label: string, dir: string) => {
        const { cache } = setup;
        const { samples, keys } = valSplit;
        const records = await generateCaptions({ samples, keys, cache, models, config, out, label });
        const extra = o.extraMetrics ? { extraMetrics: o.extraMetrics } : {};
        return { records, ...(await scoreCaptions({ records, config, dir, out, scorers, dataRoot, ...extra })) };
      };
      const evaluate: EvaluateHook = async ({ stage, epoch }) => {
        const dir = join(runDir, 'eval', `${stage}-epoch${epoch}`);
        await mkdir(dir, { recursive: true });
        const r = await evaluateSplit(`captions ${stage} epoch ${epoch}`, dir);
        const d = r.metrics.diversity;
        const message =
          `diversity ${d?.toFixed(3)} < ${LOW_DIVERSITY} after ${stage} epoch ${epoch}: ` +
          'the model may be collapsing to one caption';
        const warnings = d !== undefined && d < LOW_DIVERSITY ? [{ code: 'W_LOW_DIVERSITY', message }] : [];
        // A few captions travel with the event: TensorBoard shows them next to the scores.
        const captions: CaptionSample[] = r.records.slice(0, 16).map(({ id, prediction, reference }) => ({
          id,
          prediction,
          reference,
        }));
        return { metrics: r.metrics, details: { predictions: r.files.predictions, captions }, warnings };
      };

      // --- stages
      const base = trainerOptions(config, runDir, valSplit.keys.size > 0);
      const from = o.resumeFrom ? { resumeFrom: o.resumeFrom } : {};
      const options: TrainerOptions = { ...base, ...best, resume: Boolean(o.resume), ...from, runLockHeld: true };
      const data = trainerData(config, setup, trainSplit, models, out);
      // Stopped while features were cached or models loaded: nothing trained yet, nothing to save.
      if (o.signal?.aborted) return { status: 'stopped', runDir, metrics: {} };
      const signal = o.signal ? { signal: o.signal } : {};
      const status = await runStages(train({ options, parts: models, data, evaluate, ...signal }), out);
      if (status === 'stopped') return { status, runDir, metrics: {} };
      const finalFile = join(runDir, 'final_metrics.json');
      if (status === 'skipped' && existsSync(finalFile)) {
        return { status, runDir, metrics: JSON.parse(await readFile(finalFile, 'utf8')) as Record<string, number> };
      }

      // --- final evaluation with the best checkpoint
      await loadModelFiles(join(runDir, 'best'), models);
      const final = await evaluateSplit('captions (best checkpoint)', runDir);
      await writeFile(finalFile, JSON.stringify(final.metrics, null, 2) + '\n');
      return { status, runDir, metrics: final.metrics };
    } finally {
      await scorers.dispose();
      models.dispose();
    }
  });
}

/** Follow the trainer's events with progress bars and messages; returns how the run ended. */
async function runStages(events: ReturnType<typeof train>, out: Output): Promise<TrainPipelineResult['status']> {
  let status: TrainPipelineResult['status'] = 'finished';
  let bar: Progress | undefined;
  await lastValueFrom(
    events.pipe(
      tap((e: TrainEvent) => {
        out.event('train', e as unknown as Record<string, unknown>);
        if (e.type === 'stage-start') {
          bar?.done();
          bar = out.progress(e.stage, e.totalSteps);
        } else if (e.type === 'step') bar?.tick(1, `loss ${e.loss.toFixed(3)} lr ${e.lr.toExponential(1)}`);
        else if (e.type === 'stage-end') {
          const device = e.devicePeakMB !== undefined ? `, GPU peak ${(e.devicePeakMB / 1024).toFixed(1)} GiB` : '';
          const tensors = `tensors peak ${(e.peakTensorMB / 1024).toFixed(1)} GiB`;
          out.info(`  ${e.stage}: ${e.steps} steps in ${e.wallS.toFixed(1)} s (${tensors}${device})`);
        } else if (e.type === 'evaluation') {
          out.info(`  ${e.stage} epoch ${e.epoch}: ${formatMetrics(e.metrics)}${e.best ? ' (best)' : ''}`);
        } else if (e.type === 'skipped-step') {
          // f16 loss scaling: a few at the start are normal while the scale finds its level.
          const scales = `loss scale ${e.lossScale} -> ${e.nextLossScale}`;
          out.info(`  ${e.stage} step ${e.step} skipped: inf/NaN gradients (${scales}, ${e.consecutive} in a row)`);
        } else if (e.type === 'warning') out.warn(e.message);
        else if (e.type === 'skip') {
          status = 'skipped';
          out.info(`skip: ${e.reason} (${e.checkpoint})`);
        } else if (e.type === 'stopped') status = 'stopped';
      }),
    ),
    { defaultValue: undefined },
  );
  bar?.done();
  return status;
}

/**
 * `train.bestMetric` as the trainer wants it: `loss` is the trainer's own (lowest train loss);
 * any other name goes through the metric registry (`cider` → `cider_d`), which also says whether
 * higher or lower is better.
 */
export function bestMetricOf(name: string): { readonly bestMetric: string; readonly bestMode: 'max' | 'min' } {
  if (name === 'loss') return { bestMetric: 'loss', bestMode: 'min' };
  const m = metricSpec(name);
  return { bestMetric: m.key, bestMode: m.better === 'lower' ? 'min' : 'max' };
}

/** The one-line summary: each family's main metric and the rates, in registry order. */
export function formatMetrics(m: Readonly<Record<string, number>>): string {
  const shown = METRICS.filter((s) => (s.computes || s.format === 'percent') && m[s.key] !== undefined);
  return shown.map((s) => `${s.key} ${m[s.key]!.toFixed(3)}`).join('  ');
}
