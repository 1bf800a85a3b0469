/**
 * One epoch of one stage: pull the micro-batches (from the resume point), forward and backward
 * with loss / accumulation, and at each optimizer-step boundary clip the global norm, step AdamW
 * and the schedule, emit `step`, and checkpoint when asked to (every N steps, or once on abort,
 * after which the run stops mid-epoch). With loss scaling (f16) the loss is scaled before backward,
 * the gradients unscaled before clipping, and a step with inf/NaN gradients is skipped as torch's
 * GradScaler does (the schedule does not advance either, as in HF Trainer); too many skips in a row,
 * or a non-finite loss, stop the run naming the layer where the inf/NaN first appears.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfDeviceError, vlmLossAndGrads } from '@kvc/models';
import type { TrainBatch } from '../batching/batch-source.js';
import { TrainError } from '../errors.js';
import { clipGradNorm } from '../optim/clip-grad-norm.js';
import { isOptimizerStepBoundary } from '../optim/accumulation.js';
import { savedState, type RunContext, type RunPosition } from './run-state.js';
import { writeCheckpoint, type StageRun } from './stage-run.js';
import { accumulateGrads, writeParams, zeroGrads } from './trainable-params.js';
import { describeNonFinite, locateNonFinite } from './locate-non-finite.js';
import { batchTokens, disposeVlmBatch, toVlmBatch } from './to-vlm-batch.js';

/** How an epoch ended: trained to its end, or stopped mid-epoch with a checkpoint. */
export type EpochOutcome =
  | {
      readonly stopped: false;
      /** Mean micro-batch loss over the whole epoch (across a resume too). */
      readonly trainLoss: number;
      /** Pre-clip norm of the epoch's last optimizer step (NaN if this process made none). */
      readonly gradNorm: number;
      /** Tokens trained per second in this epoch (by this process, evaluation not counted). */
      readonly tokensPerS: number;
      /** Optimizer steps the loss scaler skipped in this epoch (across a resume too). */
      readonly skippedSteps: number;
    }
  | { readonly stopped: true; readonly checkpoint: string; /** Next micro-batch. */ readonly batch: number };

export async function trainEpoch(run: RunContext, stage: StageRun, epoch: number): Promise<EpochOutcome> {
  const { opts, data } = run;
  const name = stage.spec.name;
  const accum = opts.gradAccumulation;
  const er = stage.resume && stage.resume.epoch === epoch ? stage.resume : undefined;
  let next = er?.batch ?? 0;
  let lossSum = er?.epochLossSum ?? 0;
  let lossCount = er?.epochLossCount ?? 0;
  let skippedSteps = er?.epochSkippedSteps ?? 0;
  const scaler = run.scaler;
  /** The first micro-batch of the current step whose gradients were not finite (to locate the inf/NaN in). */
  let badBatch: TrainBatch | undefined;
  let acc = zeroGrads(stage.trainable);
  let micro: number[] = [];
  let tokens = 0;
  let epochTokens = 0;
  const epochStart = performance.now();
  let stepStart = performance.now();
  let lastNorm = NaN;
  const here = (): RunPosition => ({
    stageIndex: stage.index,
    epoch,
    batch: next,
    stageStep: stage.stageStep,
    scheduler: stage.scheduler.state(),
    epochLossSum: lossSum,
    epochLossCount: lossCount,
    epochSkippedSteps: skippedSteps,
  });
  type Code = 'E_NONFINITE_LOSS' | 'E_NONFINITE_GRADIENTS';
  const fail = async (b: TrainBatch, code: Code, what: string, scale = scaler?.scale) => {
    const where = await locate(run, stage, b, scale);
    const context = { stage: name, epoch: epoch + 1, batch: b.index, ids: b.ids.join(','), where };
    const hint =
      'lower the learning rate, check the data, or resume from the last checkpoint' +
      (scaler ? '; with precision f16 an activation over 65504 overflows: try precision f32' : '');
    return new TrainError(code, `${what}: ${where}`, context, hint);
  };

  for await (const batch of data.batches(name, epoch, next, stage.index)) {
    if (batch.index !== next) {
      const message = `the data source gave batch ${batch.index}, expected ${next}`;
      throw new TrainError('E_TRAIN_DATA', message, { stage: name, epoch });
    }
    const vb = toVlmBatch(batch);
    let lossValue: number;
    let finite: boolean;
    try {
      const { loss, grads } = await vlmLossAndGrads(stage.fwdParts, vb, stage.trainable, {
        ...(opts.gradientCheckpointing ? { checkpointLayers: opts.gradientCheckpointing } : {}),
        ...(opts.lossChunkRows ? { lossChunkRows: opts.lossChunkRows } : {}),
        ...(scaler ? { lossScale: scaler.scale } : {}),
        dropoutRng: run.dropoutRng,
      });
      lossValue = (await loss.data())[0]!;
      loss.dispose();
      finite = await accumulateGrads(acc, grads, accum);
      // WebGPU reports out-of-memory asynchronously: never step on invalid results.
      throwIfDeviceError(`${name} epoch ${epoch + 1} batch ${batch.index}`);
    } finally {
      disposeVlmBatch(vb);
    }
    if (!Number.isFinite(lossValue)) throw await fail(batch, 'E_NONFINITE_LOSS', `the loss became ${lossValue}`);
    if (!finite && opts.checkNonFinite && !scaler) {
      throw await fail(batch, 'E_NONFINITE_GRADIENTS', 'a gradient became inf or NaN');
    }
    if (!finite) badBatch ??= batch;
    // Let signal handlers and I/O run between micro-batches: on wasm the step loop is otherwise
    // synchronous and a Ctrl-C would only be heard at the epoch's end.
    await new Promise<void>((r) => setImmediate(r));
    micro.push(lossValue);
    lossSum += lossValue;
    lossCount++;
    tokens += batchTokens(batch);
    next = batch.index + 1;
    if (!isOptimizerStepBoundary(batch.index, data.batchesPerEpoch, accum)) continue;

    const lr = stage.scheduler.lastLr()[stage.mainGroup]!;
    const lossScale = scaler?.scale;
    // torch: scaler.unscale_ (× 1/scale, inf check) before clip_grad_norm_, then scaler.step skips on inf.
    const skip = scaler ? scaler.unscale(acc.values()) : false;
    stage.stageStep++;
    run.globalStep++;
    if (scaler) {
      scaler.update(skip);
      run.consecutiveSkips = skip ? run.consecutiveSkips + 1 : 0;
    }
    if (skip) {
      skippedSteps++;
      const common = { stage: name, epoch: epoch + 1, step: stage.stageStep, globalStep: run.globalStep };
      const consecutive = run.consecutiveSkips;
      run.out({ type: 'skipped-step', ...common, lossScale: lossScale!, nextLossScale: scaler!.scale, consecutive });
      const max = opts.lossScale?.maxConsecutiveSkips ?? 20;
      if (consecutive >= max) {
        const what = `${consecutive} optimizer steps in a row had inf/NaN gradients (loss scale now ${scaler!.scale})`;
        throw await fail(badBatch ?? batch, 'E_NONFINITE_GRADIENTS', what, lossScale);
      }
    } else {
      lastNorm = clipGradNorm(acc, opts.maxGradNorm);
      stage.optimizer.step(stage.params, acc);
      stage.scheduler.step();
      writeParams(stage.trainable, stage.params);
    }
    badBatch = undefined;
    const dt = (performance.now() - stepStart) / 1000;
    stage.peakTensorBytes = Math.max(stage.peakTensorBytes, tf.memory().numBytes);
    run.out({
      type: 'step',
      stage: name,
      epoch: epoch + 1,
      step: stage.stageStep,
      globalStep: run.globalStep,
      batch: next,
      batchesPerEpoch: data.batchesPerEpoch,
      totalSteps: stage.totalSteps,
      loss: micro.reduce((a, b) => a + b, 0) / micro.length,
      microLosses: micro,
      lr,
      gradNorm: skip ? NaN : lastNorm,
      ...(lossScale !== undefined ? { lossScale } : {}),
      tokens,
      tokensPerS: tokens / Math.max(dt, 1e-9),
      memoryMB: tf.memory().numBytes / 2 ** 20,
      rssMB: process.memoryUsage().rss / 2 ** 20,
      elapsedS: run.elapsedS(),
    });
    epochTokens += tokens;
    acc = zeroGrads(stage.trainable);
    micro = [];
    tokens = 0;
    stepStart = performance.now();
    const midEpoch = next < data.batchesPerEpoch;
    if (run.signal?.aborted && midEpoch) {
      const checkpoint = await writeCheckpoint(run, stage, epoch, savedState(run, here()), 'stop');
      return { stopped: true, checkpoint, batch: next };
    }
    if (midEpoch && opts.checkpointEverySteps && stage.stageStep % opts.checkpointEverySteps === 0) {
      await writeCheckpoint(run, stage, epoch, savedState(run, here()), 'steps');
    }
  }
  if (next !== data.batchesPerEpoch) {
    const message = `the data source ended after ${next} of ${data.batchesPerEpoch} batches`;
    throw new TrainError('E_TRAIN_DATA', message, { stage: name, epoch: epoch + 1 });
  }
  const trainS = (performance.now() - epochStart) / 1000;
  const trainLoss = lossSum / Math.max(lossCount, 1);
  const tokensPerS = epochTokens / Math.max(trainS, 1e-9);
  return { stopped: false, trainLoss, gradNorm: lastNorm, tokensPerS, skippedSteps };
}

/** Reruns micro-batch `b` (at the loss scale it failed with) with probes and says where the inf/NaN first appears. */
async function locate(run: RunContext, stage: StageRun, b: TrainBatch, lossScale?: number): Promise<string> {
  const vb = toVlmBatch(b);
  try {
    const where = await locateNonFinite(stage.fwdParts, vb, stage.trainable, {
      ...(lossScale ? { lossScale } : {}),
      ...(run.opts.gradientCheckpointing ? { checkpointLayers: run.opts.gradientCheckpointing } : {}),
    });
    return describeNonFinite(where);
  } catch (err) {
    return `could not rerun the micro-batch to locate it (${(err as Error).message})`;
  } finally {
    disposeVlmBatch(vb);
  }
}
