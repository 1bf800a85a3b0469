/**
 * Types of the stage-1 / stage-2 trainer: its options (stages are configs, not subclasses),
 * the data it pulls, the evaluation hook that @kvc/eval fills, the events it emits, and the
 * state a checkpoint holds so a run resumes exactly where it stopped.
 */
import type { LayerCheckpointing, LoraAdapter, VlmParts } from '@kvc/models';
import type { TrainBatch } from '../batching/batch-source.js';
import type { TrainingLogMetric } from '../logs/training-log.js';
import type { GradScalerOptions, GradScalerState } from '../optim/grad-scaler.js';
import type { SchedulerState } from '../optim/scheduler.js';

/** The model parts a trainer updates: a VLM whose adapter can be saved and loaded. */
export interface TrainParts extends VlmParts {
  readonly lora?: LoraAdapter;
}

export interface StageSpec {
  /** `stage1`, `stage2`, ... (names the checkpoints, logs and events). */
  readonly name: string;
  readonly epochs: number;
  readonly lr: number;
  /** LR of the projector group when LoRA trains too (default `lr`). */
  readonly projectorLr?: number;
  /** Stage 1: false (projector only, LLM and LoRA frozen); stage 2: true. */
  readonly trainLora: boolean;
  /** Run the evaluation hook after each epoch of this stage. */
  readonly evaluate?: boolean;
}

export interface TrainerOptions {
  readonly runDir: string;
  readonly stages: readonly StageSpec[];
  readonly gradAccumulation: number;
  readonly maxGradNorm: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  /** Seeds LoRA dropout (data order is the data source's business). */
  readonly seed: number;
  /**
   * Checkpoint decoder layers; `keep-stage-inputs` also keeps each layer's MLP input (one attention
   * forward fewer), `keep-attention` that and the attention's results (two fewer).
   */
  readonly gradientCheckpointing?: LayerCheckpointing;
  readonly lossChunkRows?: number;
  /** Also checkpoint every N optimizer steps inside an epoch (0: only at epoch ends). */
  readonly checkpointEverySteps?: number;
  /** Step checkpoints kept besides latest and best (default 2). */
  readonly keepCheckpoints?: number;
  /** Also write TensorBoard event files under `<runDir>/tensorboard` (default true). */
  readonly tensorboard?: boolean;
  /**
   * The metric columns of training_log.csv (pass `TRAINING_LOG_METRICS` of @kvc/eval). The trainer
   * logs what the evaluation returns under these columns; a key without a column still goes to
   * events.jsonl and is named in one `W_METRIC_NOT_LOGGED` warning, never dropped silently.
   */
  readonly logMetrics?: readonly TrainingLogMetric[];
  /**
   * Metric (from the evaluation hook) that chooses best/; `loss` means lowest train loss.
   * Default `siglip`, the seed's choice.
   */
  readonly bestMetric?: string;
  readonly bestMode?: 'max' | 'min';
  /** The full run config: saved with every checkpoint, compared on resume. */
  readonly config: unknown;
  /** Config keys that may differ when resuming (output paths, display options). */
  readonly resumeIgnoreKeys?: readonly string[];
  /** Continue from the latest checkpoint of runDir. */
  readonly resume?: boolean;
  /**
   * Continue from this checkpoint folder (one with state.json, e.g. runDir/checkpoints/step-120)
   * instead of the latest one: implies `resume`. An unusable folder is E_NO_USABLE_CHECKPOINT.
   */
  readonly resumeFrom?: string;
  /**
   * The caller already holds runDir's lock ({@link acquireRunLock}, e.g. for a whole pipeline
   * around training); otherwise the trainer takes it for the run.
   */
  readonly runLockHeld?: boolean;
  /** Name of the base model, written into adapter_config.json. */
  readonly baseModelName?: string;
  /**
   * Dynamic loss scaling (f16 training), with torch GradScaler's rules (optim/grad-scaler.ts); off when absent.
   * A step with inf/NaN gradients is skipped (`skipped-step` event; training_log.csv counts them).
   */
  readonly lossScale?: LossScaleOptions;
  /**
   * Check every micro-batch's gradients: a non-finite one stops the run (E_NONFINITE_GRADIENTS) naming the
   * first layer where an inf/NaN appears. Without it a non-finite loss still stops the run with that place.
   */
  readonly checkNonFinite?: boolean;
}

/** {@link TrainerOptions.lossScale}. */
export interface LossScaleOptions extends GradScalerOptions {
  /**
   * Skipped steps in a row after which the run stops with E_NONFINITE_GRADIENTS and the layer where the
   * inf/NaN first appears (default 20: from 2^16 the scale is then below 1, so smaller scales do not help).
   */
  readonly maxConsecutiveSkips?: number;
}

export interface TrainerData {
  /** Micro-batches in one epoch (the schedule's length depends on it). */
  readonly batchesPerEpoch: number;
  /**
   * The batches of one epoch of one stage, from `startBatch` on, in a deterministic order
   * (`stageDataEpoch(stageIndex, epoch)` gives each stage's epochs orders of their own).
   */
  batches(stage: string, epoch: number, startBatch: number, stageIndex: number): AsyncIterable<TrainBatch>;
}

export interface EvaluationContext {
  readonly stage: string;
  /** 1-based. */
  readonly epoch: number;
  readonly parts: TrainParts;
}

export interface EvaluationResult {
  readonly metrics: Readonly<Record<string, number>>;
  /** Anything else to log (e.g. where predictions were written). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Warnings about these results (e.g. low diversity), emitted as `warning` events. */
  readonly warnings?: readonly { readonly code: string; readonly message: string }[];
}

export type EvaluateHook = (ctx: EvaluationContext) => Promise<EvaluationResult>;

export type TrainEvent =
  | { type: 'run-start'; runDir: string; stages: readonly string[]; resumedFrom?: string; backend?: string }
  | { type: 'skip'; reason: string; checkpoint: string }
  | {
      type: 'stage-start';
      stage: string;
      epochs: number;
      totalSteps: number;
      warmupSteps: number;
      batchesPerEpoch: number;
    }
  | {
      type: 'step';
      stage: string;
      epoch: number;
      /** Optimizer steps done in this stage (1-based after this step). */
      step: number;
      globalStep: number;
      batch: number;
      batchesPerEpoch: number;
      totalSteps: number;
      loss: number;
      microLosses: readonly number[];
      lr: number;
      gradNorm: number;
      /** With loss scaling: the scale this step's gradients were computed with. */
      lossScale?: number;
      tokens: number;
      tokensPerS: number;
      memoryMB: number;
      rssMB: number;
      elapsedS: number;
    }
  | {
      /** Loss scaling: a step whose gradients held inf/NaN was not applied (the scale backs off). */
      type: 'skipped-step';
      stage: string;
      epoch: number;
      step: number;
      globalStep: number;
      lossScale: number;
      nextLossScale: number;
      consecutive: number;
    }
  | { type: 'epoch'; stage: string; epoch: number; trainLoss: number; lr: number; elapsedS: number }
  | {
      /** A stage's epochs are done (stage-run.ts stageEndEvent). */
      type: 'stage-end';
      stage: string;
      /** Optimizer steps of the stage (all of them, a resumed run's included). */
      steps: number;
      /** Wall time of the stage in this process, its evaluations included (from the resume, if it resumed). */
      wallS: number;
      /** The most tensor memory (tf.memory) at a step of the stage. */
      peakTensorMB: number;
      /** webgpu: the most GPU memory kvc held during the stage (its buffer pool, free buffers included). */
      devicePeakMB?: number;
    }
  | {
      type: 'evaluation';
      stage: string;
      epoch: number;
      metrics: Readonly<Record<string, number>>;
      details?: Readonly<Record<string, unknown>>;
      best: boolean;
    }
  | {
      type: 'checkpoint';
      stage: string;
      epoch: number;
      step: number;
      path: string;
      reason: 'epoch' | 'steps' | 'stop' | 'final' | 'best';
    }
  | { type: 'warning'; code: string; message: string }
  | { type: 'stopped'; checkpoint: string; stage: string; epoch: number; batch: number }
  | { type: 'run-end'; status: 'finished' | 'stopped'; checkpoint: string; best?: BestEpoch };

/** The epoch best/ holds, by the best metric. */
export interface BestEpoch {
  readonly metric: string;
  readonly value: number;
  readonly stage: string;
  readonly epoch: number;
}

/** Everything besides tensors that a checkpoint must hold to continue exactly. */
export interface TrainState {
  readonly version: 1;
  readonly stageIndex: number;
  /** 0-based epoch in progress (or the next one when batch = 0). */
  readonly epoch: number;
  /** Next micro-batch index in the epoch. */
  readonly batch: number;
  /** Optimizer steps done in the current stage. */
  readonly stageStep: number;
  readonly globalStep: number;
  readonly scheduler: SchedulerState;
  readonly dropoutRngState: number;
  readonly epochLossSum: number;
  readonly epochLossCount: number;
  /** Loss scaler (f16 training), restored on resume. */
  readonly lossScaler?: GradScalerState;
  /** Optimizer steps skipped by loss scaling in the epoch so far. */
  readonly epochSkippedSteps?: number;
  readonly best: BestEpoch | null;
  readonly finished: boolean;
  readonly config: unknown;
  readonly savedAt: string;
  /**
   * Set on the checkpoint written at an epoch's end before its evaluation: the evaluation and the
   * training_log.csv row still owed for that epoch. A resume does them first, then clears it.
   */
  readonly pendingEpochEnd?: EpochSummary;
}

/** What an epoch's end logs besides the evaluation (the `epoch` event's and training_log.csv's fields). */
export interface EpochSummary {
  readonly stage: string;
  /** 1-based, as in events. */
  readonly epoch: number;
  readonly trainLoss: number;
  readonly lr: number;
  readonly globalStep: number;
  /** Pre-clip norm of the epoch's last optimizer step; null when this process made none (NaN in JSON). */
  readonly gradNorm: number | null;
  readonly tokensPerS: number;
  /** Steps the loss scaler skipped (f16 training only). */
  readonly skippedSteps?: number;
  readonly lossScale?: number;
}
