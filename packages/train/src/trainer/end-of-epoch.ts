/**
 * The end of an epoch: log it, run the evaluation hook (when the stage asks for it), keep the
 * best epoch in best/, append the training_log.csv row with whatever the evaluation returned,
 * and checkpoint the position after it (the next epoch, or the next stage with fresh optimizer
 * state). The last epoch of the last stage is not checkpointed here: the final checkpoint is.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendTrainingLog, type TrainerLogFields } from '../logs/training-log.js';
import { savedState, stageStart, type RunContext } from './run-state.js';
import { writeCheckpoint, type StageRun } from './stage-run.js';
import { writeModelFiles } from './train-checkpoint.js';
import type { EpochOutcome } from './train-epoch.js';

type Trained = Extract<EpochOutcome, { stopped: false }>;

/** Returns the epoch checkpoint's folder, or undefined after the run's last epoch. */
export async function endOfEpoch(
  run: RunContext,
  stage: StageRun,
  epoch: number,
  trained: Trained,
): Promise<string | undefined> {
  const { opts } = run;
  const lrNow = stage.scheduler.lastLr()[stage.mainGroup]!;
  const { trainLoss } = trained;
  run.out({ type: 'epoch', stage: stage.spec.name, epoch: epoch + 1, trainLoss, lr: lrNow, elapsedS: run.elapsedS() });
  const metrics = stage.spec.evaluate && run.evaluate ? await evaluateEpoch(run, stage, epoch, trainLoss) : {};
  const fields: TrainerLogFields = {
    stage: stage.spec.name,
    epoch: epoch + 1,
    train_loss: trainLoss,
    lr: lrNow,
    timestamp: new Date().toISOString(),
    step: run.globalStep,
    grad_norm: trained.gradNorm,
    tokens_per_s: trained.tokensPerS,
    elapsed_s: run.elapsedS(),
    ...(run.scaler ? { loss_scale: run.scaler.scale, skipped_steps: trained.skippedSteps } : {}),
  };
  const row = { ...logged(run, metrics), ...fields };
  await appendTrainingLog(join(opts.runDir, 'training_log.csv'), run.logColumns, row);

  const lastEpoch = epoch + 1 === stage.spec.epochs;
  if (lastEpoch && stage.index + 1 === opts.stages.length) return undefined;
  const after = lastEpoch
    ? stageStart(stage.index + 1)
    : { ...stageStart(stage.index), epoch: epoch + 1, stageStep: stage.stageStep, scheduler: stage.scheduler.state() };
  return writeCheckpoint(run, stage, epoch, savedState(run, after), 'epoch');
}

/** Evaluate, update best/ and emit `evaluation` (plus the hook's warnings); returns the metrics. */
async function evaluateEpoch(
  run: RunContext,
  stage: StageRun,
  epoch: number,
  trainLoss: number,
): Promise<Readonly<Record<string, number>>> {
  const { opts } = run;
  const name = stage.spec.name;
  const res = await run.evaluate!({ stage: name, epoch: epoch + 1, parts: run.parts });
  const metrics = res.metrics;
  const metric = opts.bestMetric ?? 'siglip';
  const value = metric === 'loss' ? trainLoss : metrics[metric];
  const mode = opts.bestMode ?? (metric === 'loss' ? 'min' : 'max');
  if (value === undefined && !run.warnedMissingBest) {
    run.warnedMissingBest = true;
    const evaluated = Object.keys(metrics).join(', ') || 'none';
    const message =
      `best metric "${metric}" is not among the evaluated metrics (${evaluated}): ` +
      'best/ will be the final weights unless it appears';
    run.out({ type: 'warning', code: 'W_BEST_METRIC_MISSING', message });
  }
  const best = run.best;
  const beats = (v: number): boolean => !best || (mode === 'max' ? v > best.value : v < best.value);
  const improved = value !== undefined && Number.isFinite(value) && beats(value);
  if (improved) {
    const b = { metric, value, stage: name, epoch: epoch + 1 };
    run.best = b;
    const dir = await run.runStore.write(
      'best',
      async (d) => {
        await writeModelFiles(d, run.parts, undefined, opts.baseModelName);
        await writeFile(join(d, 'metrics.json'), JSON.stringify({ ...b, metrics }, null, 2) + '\n');
      },
      { ...b, metrics },
      { setLatest: false },
    );
    run.out({ type: 'checkpoint', stage: name, epoch: epoch + 1, step: run.globalStep, path: dir, reason: 'best' });
  }
  const details = res.details ? { details: res.details } : {};
  run.out({ type: 'evaluation', stage: name, epoch: epoch + 1, metrics, ...details, best: improved });
  for (const w of res.warnings ?? []) run.out({ type: 'warning', code: w.code, message: w.message });
  return metrics;
}

/** The metric cells of a log row; evaluated keys without a column are named once in a warning. */
function logged(run: RunContext, metrics: Readonly<Record<string, number>>): Record<string, number | undefined> {
  const cells: Record<string, number | undefined> = {};
  const columns = new Map((run.opts.logMetrics ?? []).map((m) => [m.key, m.column]));
  for (const [key, column] of columns) cells[column] = metrics[key];
  const unlogged = Object.keys(metrics).filter((k) => !columns.has(k) && !run.warnedUnlogged.has(k));
  if (unlogged.length) {
    unlogged.forEach((k) => run.warnedUnlogged.add(k));
    const message =
      `metric(s) ${unlogged.join(', ')} have no training_log.csv column (they are in events.jsonl): ` +
      'add them to logMetrics';
    run.out({ type: 'warning', code: 'W_METRIC_NOT_LOGGED', message });
  }
  return cells;
}
