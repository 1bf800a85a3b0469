/**
 * One stage of a run (stage 1: projector; stage 2: projector + LoRA): its trainable variables,
 * a fresh AdamW and warmup-cosine schedule over optimizer steps (not batches: the seed's bug),
 * restored from the checkpoint when the run resumes inside this stage, and the checkpoint
 * writer its epochs use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gpuPoolStats, resetGpuPoolPeak } from '@kvc/models';
import { AdamW } from '../optim/adamw.js';
import { Scheduler } from '../optim/scheduler.js';
import { cosineWithWarmup } from '../optim/lr-lambda.js';
import { totalOptimizerSteps, warmupStepsFromRatio } from '../optim/accumulation.js';
import type { ParamSet } from '../optim/param-set.js';
import type { RunContext } from './run-state.js';
import { PROJECTOR_PREFIX, loraIsIdentity, readParams, trainableVariables } from './trainable-params.js';
import { readOptimizerState, writeModelFiles } from './train-checkpoint.js';
import type { StageSpec, TrainEvent, TrainParts, TrainState } from './trainer-types.js';

export interface StageRun {
  readonly index: number;
  readonly spec: StageSpec;
  readonly trainable: ReturnType<typeof trainableVariables>;
  /** Host copies of the trainable variables that AdamW updates. */
  readonly params: ParamSet;
  readonly optimizer: AdamW;
  readonly scheduler: Scheduler;
  readonly totalSteps: number;
  /** The group whose LR the logs show: LoRA's when it trains, else the projector's. */
  readonly mainGroup: 'lora' | 'projector';
  /** The parts the forward pass uses (without an adapter that adds nothing). */
  readonly fwdParts: TrainParts;
  /** The saved state when the run resumes inside this stage. */
  readonly resume: TrainState | undefined;
  /** Optimizer steps done in this stage. */
  stageStep: number;
  /** performance.now() when this process started the stage (a resumed stage counts from the resume). */
  readonly startedAtMs: number;
  /** The most tensor memory (tf.memory) seen at a step of this stage, in bytes. */
  peakTensorBytes: number;
}

/** Set up stage `index`, restoring optimizer and schedule when resuming into it; emits `stage-start`. */
export async function startStage(run: RunContext, index: number): Promise<StageRun> {
  const { opts, parts, data } = run;
  const spec = opts.stages[index]!;
  const r = run.resume && run.resume.state.stageIndex === index ? run.resume.state : undefined;
  const trainable = trainableVariables(parts, spec.trainLora);
  const projNames = [...trainable.keys()].filter((k) => k.startsWith(PROJECTOR_PREFIX));
  const loraNames = [...trainable.keys()].filter((k) => !k.startsWith(PROJECTOR_PREFIX));
  const optimizer = new AdamW({
    betas: opts.betas,
    eps: opts.eps,
    weightDecay: opts.weightDecay,
    groups: [
      { name: 'projector', params: projNames, lr: spec.trainLora ? (spec.projectorLr ?? spec.lr) : spec.lr },
      ...(spec.trainLora ? [{ name: 'lora', params: loraNames, lr: spec.lr }] : []),
    ],
  });
  const totalSteps = totalOptimizerSteps(data.batchesPerEpoch, opts.gradAccumulation, spec.epochs);
  const warmupSteps = warmupStepsFromRatio(opts.warmupRatio, totalSteps);
  const scheduler = new Scheduler(optimizer, cosineWithWarmup({ warmupSteps, totalSteps }));
  if (r && (r.stageStep > 0 || r.batch > 0)) {
    const os = await readOptimizerState(run.resume!.dir);
    if (os) optimizer.loadState(os);
    scheduler.loadState(r.scheduler);
  }
  const { batchesPerEpoch } = data;
  run.out({ type: 'stage-start', stage: spec.name, epochs: spec.epochs, totalSteps, warmupSteps, batchesPerEpoch });
  // The GPU pool's peak restarts with the stage, so stage-end reports this stage's own (webgpu only).
  resetGpuPoolPeak();
  const params = await readParams(trainable);
  // A frozen adapter whose B matrices are all zero adds exactly nothing: skip its compute.
  const skipLora = !spec.trainLora && (await loraIsIdentity(parts));
  const fwdParts = skipLora ? { model: parts.model, projector: parts.projector } : parts;
  return {
    index,
    spec,
    trainable,
    params,
    optimizer,
    scheduler,
    totalSteps,
    mainGroup: spec.trainLora ? 'lora' : 'projector',
    fwdParts,
    resume: r,
    stageStep: r?.stageStep ?? 0,
    startedAtMs: performance.now(),
    peakTensorBytes: tf.memory().numBytes,
  };
}

/**
 * The `stage-end` event: the stage's wall time in this process (its evaluations included), its
 * steps, the most tensor memory at a step and, on webgpu, the device memory kvc held at its peak
 * (the GPU pool's buffers, free ones included: what the device had to give).
 */
export function stageEndEvent(stage: StageRun): TrainEvent {
  const pool = gpuPoolStats();
  return {
    type: 'stage-end',
    stage: stage.spec.name,
    steps: stage.stageStep,
    wallS: (performance.now() - stage.startedAtMs) / 1000,
    peakTensorMB: stage.peakTensorBytes / 2 ** 20,
    ...(pool ? { devicePeakMB: pool.peakBytesAllocated / 2 ** 20 } : {}),
  };
}

/** Write a step/epoch/stop checkpoint of `stage` (model, optimizer, state), prune old ones, emit it. */
export async function writeCheckpoint(
  run: RunContext,
  stage: StageRun,
  epoch: number,
  state: TrainState,
  reason: 'epoch' | 'steps' | 'stop',
): Promise<string> {
  const name = `step-${String(run.globalStep).padStart(8, '0')}`;
  const fill = (d: string) => writeModelFiles(d, run.parts, stage.optimizer, run.opts.baseModelName);
  const dir = await run.store.write(name, fill, state);
  await run.store.prune(run.opts.keepCheckpoints ?? 2);
  run.out({ type: 'checkpoint', stage: stage.spec.name, epoch: epoch + 1, step: run.globalStep, path: dir, reason });
  return dir;
}
