/**
 * Gradient-accumulation arithmetic, matching the reference trainer
 * (test/fixtures/make_trajectory_reference.py): the schedule counts optimizer steps, not
 * micro-batches (the seed's bug counted batches, so its cosine ended at half the peak).
 * - optimizer steps per epoch = ceil(microBatches / accumulation): a last partial group still
 *   makes an optimizer step ("every accum micro-batches and at the end");
 * - total = that × epochs; warmup = int(warmupRatio × total) (Python int: truncation);
 * - every micro-batch's loss is divided by `accumulation` — also in the last partial group, so
 *   its gradient is the sum of its losses / accumulation (smaller than a mean). That is what
 *   torch did for the reference; `lossDivisor` returns it.
 */
import { TrainError } from '../errors.js';

function positiveInt(name: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1))
    throw new TrainError('E_SCHEDULE_CONFIG', `${name} must be an integer >= 1, got ${value}`, { [name]: value });
}

/** ceil(microBatches / accumulation). */
export function optimizerStepsPerEpoch(microBatches: number, accumulation: number): number {
  positiveInt('microBatches', microBatches);
  positiveInt('accumulation', accumulation);
  return Math.ceil(microBatches / accumulation);
}

/** ceil(microBatches / accumulation) × epochs: the `totalSteps` of a stage's schedule. */
export function totalOptimizerSteps(microBatches: number, accumulation: number, epochs: number): number {
  positiveInt('epochs', epochs);
  return optimizerStepsPerEpoch(microBatches, accumulation) * epochs;
}

/** Python's `int(warmup_ratio * total)`: float64 product, truncated toward zero. */
export function warmupStepsFromRatio(warmupRatio: number, totalSteps: number): number {
  if (!(warmupRatio >= 0 && warmupRatio <= 1))
    throw new TrainError('E_SCHEDULE_CONFIG', `warmupRatio must be in [0, 1], got ${warmupRatio}`, { warmupRatio });
  return Math.trunc(warmupRatio * totalSteps);
}

/** Whether micro-batch `index` (0-based within an epoch) ends an accumulation group. */
export function isOptimizerStepBoundary(index: number, microBatches: number, accumulation: number): boolean {
  return (index + 1) % accumulation === 0 || index + 1 === microBatches;
}

/** The divisor of every micro-batch loss before backward: always `accumulation` (see the module comment). */
export function lossDivisor(accumulation: number): number {
  positiveInt('accumulation', accumulation);
  return accumulation;
}

/** The numbers a stage needs, computed once. */
export interface AccumulationPlan {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly lossDivisor: number;
}

/** Plan a stage: steps per epoch, total and warmup steps, loss divisor. */
export function accumulationPlan(config: {
  readonly microBatches: number;
  readonly accumulation: number;
  readonly epochs: number;
  readonly warmupRatio: number;
}): AccumulationPlan {
  const totalSteps = totalOptimizerSteps(config.microBatches, config.accumulation, config.epochs);
  return {
    stepsPerEpoch: optimizerStepsPerEpoch(config.microBatches, config.accumulation),
    totalSteps,
    warmupSteps: warmupStepsFromRatio(config.warmupRatio, totalSteps),
    lossDivisor: lossDivisor(config.accumulation),
  };
}
