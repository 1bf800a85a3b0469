/**
 * The end of an epoch: log it, run the evaluation hook (when the stage asks for it), keep the
 * best epoch in best/, append the training_log.csv row with whatever the evaluation returned,
 * and checkpoint the position after it (the next epoch, or the next stage with fresh optimizer
 * state). The last epoch of the last stage returns no checkpoint: the final checkpoint follows.
 *
 * An evaluating epoch is checkpointed *before* its evaluation, marked with the evaluation still
 * owed (`pendingEpochEnd`): the seed's evaluation takes 40 minutes an epoch, and a stop or crash
 * during it used to lose the whole epoch's training. A resume from that checkpoint evaluates and
 * logs the epoch first ({@link completeEpochEnd}), then trains on.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendTrainingLog, type TrainerLogFields } from '../logs/training-log.js';
import { savedState, stageStart, type RunContext } from './run-state.js';
import { writeCheckpoint, type StageRun } from './stage-run.js';
import { writeModelFiles } from './train-checkpoint.js';
import type { EpochOutcome } from './train-epoch.js';
import type { EpochSummary, TrainState } from './trainer-types.js';

type Trained = Extract<EpochOutcome, { stopped: false }>;

/** Returns the epoch checkpoint's folder, or undefined after the run's last epoch. */
export async function endOfEpoch(
  run: RunContext,
  stage: StageRun,
  epoch: number,
  trained: Trained,
): Promise<string | undefined> {
  const lr = stage.scheduler.lastLr()[stage.mainGroup]!;
  const { trainLoss } = trained;
  const name = stage.spec.name;
  run.out({ type: 'epoch', stage: name, epoch: epoch + 1, trainLoss, lr, elapsedS: run.elapsedS() });
  const summary: EpochSummary = {
    stage: name,
    epoch: epoch + 1,
    trainLoss,
    lr,
    globalStep: run.globalStep,
    gradNorm: Number.isFinite(trained.gradNorm) ? trained.gradNorm : null,
    tokensPerS: trained.tokensPerS,
    ...(run.scaler ? { lossScale: run.scaler.scale, skippedSteps: trained.skippedSteps } : {}),
  };
  const lastEpoch = epoch + 1 === stage.spec.epochs;
  const lastOfRun = lastEpoch && stage.index + 1 === run.opts.stages.length;
  const after = lastEpoch
    ? stageStart(stage.index + 1)
    : { ...stageStart(stage.index), epoch: epoch + 1, stageStep: stage.stageStep, scheduler: stage.scheduler.state() };

  if (!(stage.spec.evaluate && run.evaluate)) {
    await appendEpochRow(run, summary, {});
    return lastOfRun ? undefined : writeCheckpoint(run, stage, epoch, savedState(run, after), 'epoch');
  }
  const state: TrainState = { ...savedState(run, after), pendingEpochEnd: summary };
  const dir = await writeCheckpoint(run, stage, epoch, state, 'epoch');
  await completeEpochEnd(run, summary, dir);
  return lastOfRun ? undefined : dir;
}

/**
 * The evaluation and log row an epoch-end checkpoint in `dir` still owes (its `pendingEpochEnd`);
 * then the checkpoint's state no longer owes them and carries the best epoch they chose.
 */
export async function completeEpochEnd(run: RunContext, summary: EpochSummary, dir: string): Promise<void> {
  const metrics = run.evaluate ? await evaluateEpoch(run, summary) : {};
  await appendEpochRow(run, summary, metrics);
  const { pendingEpochEnd: _owed, ...state } = await run.store.readState<TrainState>(dir);
  await run.store.rewriteState(dir, { ...state, best: run.best });
}

/** The epoch's training_log.csv row. */
async function appendEpochRow(
  run: RunContext,
  summary: EpochSummary,
  metrics: Readonly<Record<string, number>>,
): Promise<void> {
  const fields: TrainerLogFields = {
    stage: summary.stage,
    epoch: summary.epoch,
    train_loss: summary.trainLoss,
    lr: summary.lr,
    timestamp: new Date().toISOString(),
    step: summary.globalStep,
    grad_norm: summary.gradNorm ?? NaN,
    tokens_per_s: summary.tokensPerS,
    elapsed_s: run.elapsedS(),
    ...(summary.lossScale !== undefined
      ? { loss_scale: summary.lossScale, skipped_steps: summary.skippedSteps ?? 0 }
      : {}),
  };
  const row = { ...logged(run, metrics), ...fields };
  await appendTrainingLog(join(run.opts.runDir, 'training_log.csv'), run.logColumns, row);
}

/** Evaluate, update best/ and emit `evaluation` (plus the hook's warnings); returns the metrics. */
async function evaluateEpoch(run: RunContext, summary: EpochSummary): Promise<Readonly<Record<string, number>>> {
  const { opts } = run;
  const { stage: name, epoch, trainLoss } = summary;
  const res = await run.evaluate!({ stage: name, epoch, parts: run.parts });
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
    const b = { metric, value, stage: name, epoch };
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
    run.out({ type: 'checkpoint', stage: name, epoch, step: summary.globalStep, path: dir, reason: 'best' });
  }
  const details = res.details ? { details: res.details } : {};
  run.out({ type: 'evaluation', stage: name, epoch, metrics, ...details, best: improved });
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
