/**
 * What one training run carries across epochs and stages (options, stores, the event sink, the
 * dropout RNG, the global step, the best epoch), where in the run a checkpoint continues from,
 * and the one function that turns both into the saved {@link TrainState}.
 */
import type { SeededRandom } from '@kvc/models';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { GradScaler } from '../optim/grad-scaler.js';
import type { SchedulerState } from '../optim/scheduler.js';
import type {
  BestEpoch,
  EvaluateHook,
  TrainEvent,
  TrainParts,
  TrainState,
  TrainerData,
  TrainerOptions,
} from './trainer-types.js';

/** A run in progress. Mutable fields change as steps and evaluations happen. */
export interface RunContext {
  readonly opts: TrainerOptions;
  readonly parts: TrainParts;
  readonly data: TrainerData;
  readonly evaluate: EvaluateHook | undefined;
  /** Aborted: stop after the current optimizer step (mid-epoch) or at the epoch's end, with a checkpoint. */
  readonly signal: AbortSignal | undefined;
  /** Writes the event to events.jsonl, then emits it. */
  readonly out: (e: TrainEvent) => void;
  /** `<run>/checkpoints` (step, epoch, stop and final checkpoints). */
  readonly store: CheckpointStore;
  /** `<run>` itself: holds best/. */
  readonly runStore: CheckpointStore;
  readonly elapsedS: () => number;
  readonly dropoutRng: SeededRandom;
  /** Dynamic loss scaling (TrainerOptions.lossScale), one for the whole run as torch's GradScaler. */
  readonly scaler: GradScaler | undefined;
  /** Steps skipped in a row by the scaler (not saved: a resumed run starts counting again). */
  consecutiveSkips: number;
  /** The checkpoint this run continues from, if any. */
  readonly resume: { readonly state: TrainState; readonly dir: string } | undefined;
  /** training_log.csv's header. */
  readonly logColumns: readonly string[];
  globalStep: number;
  best: BestEpoch | null;
  warnedMissingBest: boolean;
  /** Evaluated keys already named in a `W_METRIC_NOT_LOGGED` warning. */
  readonly warnedUnlogged: Set<string>;
}

/** Where a checkpoint continues from. */
export interface RunPosition {
  readonly stageIndex: number;
  /** 0-based epoch in progress (or the next one when batch = 0). */
  readonly epoch: number;
  /** Next micro-batch index in the epoch. */
  readonly batch: number;
  readonly stageStep: number;
  readonly scheduler: SchedulerState;
  readonly epochLossSum: number;
  readonly epochLossCount: number;
  /** Steps the loss scaler skipped in this epoch so far. */
  readonly epochSkippedSteps?: number;
}

/** The start of stage `stageIndex`: fresh optimizer and schedule, nothing of an epoch done. */
export function stageStart(stageIndex: number): RunPosition {
  const scheduler = { lastStep: 0 };
  return { stageIndex, epoch: 0, batch: 0, stageStep: 0, scheduler, epochLossSum: 0, epochLossCount: 0 };
}

/** The state a checkpoint saves at `at` (`finished` only for the final one). */
export function savedState(run: RunContext, at: RunPosition, finished = false): TrainState {
  return {
    version: 1,
    stageIndex: at.stageIndex,
    epoch: at.epoch,
    batch: at.batch,
    stageStep: at.stageStep,
    globalStep: run.globalStep,
    scheduler: at.scheduler,
    dropoutRngState: run.dropoutRng.state,
    epochLossSum: at.epochLossSum,
    epochLossCount: at.epochLossCount,
    ...(run.scaler ? { lossScaler: run.scaler.state(), epochSkippedSteps: at.epochSkippedSteps ?? 0 } : {}),
    best: run.best,
    finished,
    config: run.opts.config,
    savedAt: new Date().toISOString(),
  };
}
