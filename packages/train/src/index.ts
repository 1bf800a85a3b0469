/**
 * @kvc/train — batching, AdamW / schedules / clipping with torch semantics, stage-1/2 trainers,
 * atomic checkpoints and resume, training logs.
 */
export { TrainError } from './errors.js';
export type { TrainErrorCode } from './errors.js';

export { cloneParamSet, paramSetFrom } from './optim/param-set.js';
export type { ParamSet, ReadonlyParamSet } from './optim/param-set.js';
export { AdamW } from './optim/adamw.js';
export type { AdamWConfig, AdamWGroupConfig, AdamWParamState } from './optim/adamw.js';
export { ADAMW_STATE_FORMAT, adamWStateFromTensors, adamWStateToTensors } from './optim/adamw-state.js';
export type { AdamWGroupState, AdamWState, AdamWStateHeader } from './optim/adamw-state.js';
export { constantWithWarmup, cosineWithWarmup, linearWithWarmup } from './optim/lr-lambda.js';
export type { LrLambda, WarmupScheduleConfig } from './optim/lr-lambda.js';
export { Scheduler } from './optim/scheduler.js';
export type { LrGroupsTarget, SchedulerState } from './optim/scheduler.js';
export { clipGradNorm, globalGradNorm } from './optim/clip-grad-norm.js';
export { GradScaler } from './optim/grad-scaler.js';
export type { GradScalerOptions, GradScalerState } from './optim/grad-scaler.js';
export type { ClipGradNormOptions } from './optim/clip-grad-norm.js';
export { fmaF32, l2NormF32 } from './optim/f32-kernels.js';
export {
  accumulationPlan,
  isOptimizerStepBoundary,
  lossDivisor,
  optimizerStepsPerEpoch,
  totalOptimizerSteps,
  warmupStepsFromRatio,
} from './optim/accumulation.js';
export type { AccumulationPlan } from './optim/accumulation.js';
export { ADAMW_COSINE_TOLERANCE, runAdamwCosineParity } from './optim/adamw-cosine-parity.js';
export type { AdamwCosineHyperparameters } from './optim/adamw-cosine-parity.js';

export { IGNORE_INDEX, buildExample, tokenizeExample } from './batching/build-example.js';
export type { BuildExampleOptions, TextTokenizer, TrainingExample } from './batching/build-example.js';
export { collate } from './batching/collate.js';
export type { TextBatch } from './batching/collate.js';
export { epochOrder } from './batching/epoch-order.js';
export type { EpochOrderOptions } from './batching/epoch-order.js';
export { batchSource } from './batching/batch-source.js';
export type { BatchSourceOptions, FeatureTensor, TrainBatch, TrainSample } from './batching/batch-source.js';
export { Rng, epochSeed, shuffleInPlace } from './batching/rng.js';
export { STAGE_EPOCH_STRIDE, stageDataEpoch } from './batching/stage-data-epoch.js';

export { CheckpointStore, STATE_FILE } from './checkpoint/checkpoint-store.js';
export { configDiff } from './checkpoint/config-diff.js';
export { appendTrainingLog, parseTrainingLog, trainingLogColumns } from './logs/training-log.js';
export type { TrainerLogFields, TrainingLogMetric, TrainingLogRow } from './logs/training-log.js';
export { EventsLog } from './logs/events-log.js';
export { TensorboardLog } from './logs/tensorboard/tensorboard-log.js';
export type { CaptionSample } from './logs/tensorboard/tensorboard-log.js';

export { train } from './trainer/train.js';
export type { TrainInputs } from './trainer/train.js';
export { runTraining } from './trainer/run-training.js';
export { RUN_LOCK_FILE, acquireRunLock } from './trainer/run-lock.js';
export type { RunLock, RunLockHolder } from './trainer/run-lock.js';
export type { RunTrainingInputs } from './trainer/run-training.js';
export type {
  BestEpoch,
  EvaluateHook,
  EvaluationContext,
  EvaluationResult,
  LossScaleOptions,
  StageSpec,
  TrainEvent,
  TrainParts,
  TrainState,
  TrainerData,
  TrainerOptions,
} from './trainer/trainer-types.js';
export {
  ADAPTER_DIR,
  PROJECTOR_FILE,
  loadModelFiles,
  readOptimizerState,
  writeModelFiles,
} from './trainer/train-checkpoint.js';
export { trainableVariables, loraIsIdentity } from './trainer/trainable-params.js';
export { toVlmBatch, disposeVlmBatch, batchTokens } from './trainer/to-vlm-batch.js';
export { runTrainTrajectoryParity, TRAJECTORY_TOLERANCES } from './trainer/trajectory-parity.js';
export { f16TrajectoryTolerances } from './trainer/f16-trajectory-tolerance.js';
export type { F16TrajectoryTolerances } from './trainer/f16-trajectory-tolerance.js';
export { describeNonFinite, locateNonFinite } from './trainer/locate-non-finite.js';
export type { NonFiniteLocation } from './trainer/locate-non-finite.js';
