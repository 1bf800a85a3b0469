/**
 * The training loop, top to bottom like nanoGPT's train.py: resume or skip, then for each stage
 * a fresh AdamW and warmup-cosine schedule over optimizer steps (not batches: the seed's bug),
 * micro-batches accumulated with loss / accumulation, global-norm clipping, per-epoch evaluation
 * and best-checkpoint tracking, and atomic checkpoints that let a killed run continue to the
 * same weights. Events go to `emit` and to events.jsonl.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, throwIfDeviceError, vlmLossAndGrads } from '@kvc/models';
import { TrainError } from '../errors.js';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { configDiff } from '../checkpoint/config-diff.js';
import { EventsLog } from '../logs/events-log.js';
import { appendTrainingLog } from '../logs/training-log.js';
import { AdamW } from '../optim/adamw.js';
import { Scheduler } from '../optim/scheduler.js';
import { clipGradNorm } from '../optim/clip-grad-norm.js';
import { cosineWithWarmup } from '../optim/lr-lambda.js';
import { isOptimizerStepBoundary, totalOptimizerSteps, warmupStepsFromRatio } from '../optim/accumulation.js';
import { accumulateGrads, loraIsIdentity, readParams, trainableVariables, writeParams, zeroGrads, PROJECTOR_PREFIX } from './trainable-params.js';
import { loadModelFiles, readOptimizerState, writeModelFiles } from './train-checkpoint.js';
import { batchTokens, disposeVlmBatch, toVlmBatch } from './to-vlm-batch.js';
import type { EvaluateHook, TrainEvent, TrainParts, TrainState, TrainerData, TrainerOptions } from './trainer-types.js';

export interface StopFlag {
  requested: boolean;
}

export async function runTraining(
  opts: TrainerOptions,
  parts: TrainParts,
  data: TrainerData,
  evaluate: EvaluateHook | undefined,
  emit: (e: TrainEvent) => void,
  stop: StopFlag,
): Promise<void> {
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  await mkdir(opts.runDir, { recursive: true });
  const store = new CheckpointStore(join(opts.runDir, 'checkpoints'));
  const runStore = new CheckpointStore(opts.runDir); // holds best/
  const events = new EventsLog(join(opts.runDir, 'events.jsonl'));
  const out = (e: TrainEvent): void => {
    events.write(e as unknown as Record<string, unknown>);
    emit(e);
  };
  if (data.batchesPerEpoch < 1) throw new TrainError('E_TRAIN_DATA', 'the training data has no batches', { runDir: opts.runDir }, 'check the dataset split and --data');

  // --- resume, or recognise a finished run (the seed's "SKIP")
  let resume: TrainState | undefined;
  let resumeDir: string | undefined;
  const latest = await store.resolve('latest');
  if (latest) {
    const saved = await store.readState<TrainState>(latest);
    const diff = configDiff(saved.config, opts.config, opts.resumeIgnoreKeys ?? []);
    if (saved.finished && diff.length === 0) {
      out({ type: 'skip', reason: 'this run already finished with the same config', checkpoint: latest });
      return;
    }
    if (saved.finished) {
      // --resume cannot help here: a finished run is only ever skipped, and only with its own config.
      throw new TrainError('E_RUN_EXISTS', `the run folder holds a finished run whose config differs in ${diff.length} key(s): ${diff.join(', ')}`, { runDir: opts.runDir, checkpoint: latest, keys: diff }, 'start a new run with --out, or run again with the same config to skip it');
    }
    if (!opts.resume) {
      throw new TrainError('E_RUN_EXISTS', 'the run folder already holds a training run', { runDir: opts.runDir, checkpoint: latest }, 'pass --resume to continue it, or --out to start a new run elsewhere');
    }
    if (diff.length) {
      throw new TrainError('E_RESUME_CONFIG', `cannot resume: the config differs from the checkpoint's in ${diff.length} key(s): ${diff.join(', ')}`, { checkpoint: latest, keys: diff }, 'resume with the same config, or start a new run with --out');
    }
    await loadModelFiles(latest, parts);
    resume = saved;
    resumeDir = latest;
  } else {
    await writeFile(join(opts.runDir, 'config.json'), JSON.stringify(opts.config, null, 2) + '\n');
  }
  out({ type: 'run-start', runDir: opts.runDir, stages: opts.stages.map((s) => s.name), ...(resumeDir ? { resumedFrom: resumeDir } : {}), backend: tf.getBackend() });

  const dropoutRng = resume ? SeededRandom.fromState(resume.dropoutRngState) : new SeededRandom(opts.seed);
  let best = resume?.best ?? null;
  let warnedMissingBest = false;
  let globalStep = resume?.globalStep ?? 0;
  const accum = opts.gradAccumulation;
  const keep = opts.keepCheckpoints ?? 2;

  for (let si = resume?.stageIndex ?? 0; si < opts.stages.length; si++) {
    const stage = opts.stages[si]!;
    const r = resume && resume.stageIndex === si ? resume : undefined;
    const trainable = trainableVariables(parts, stage.trainLora);
    const projNames = [...trainable.keys()].filter((k) => k.startsWith(PROJECTOR_PREFIX));
    const loraNames = [...trainable.keys()].filter((k) => !k.startsWith(PROJECTOR_PREFIX));
    const mainGroup = stage.trainLora ? 'lora' : 'projector';
    const optimizer = new AdamW({
      betas: opts.betas,
      eps: opts.eps,
      weightDecay: opts.weightDecay,
      groups: [
        { name: 'projector', params: projNames, lr: stage.trainLora ? (stage.projectorLr ?? stage.lr) : stage.lr },
        ...(stage.trainLora ? [{ name: 'lora', params: loraNames, lr: stage.lr }] : []),
      ],
    });
    const totalSteps = totalOptimizerSteps(data.batchesPerEpoch, accum, stage.epochs);
    const warmupSteps = warmupStepsFromRatio(opts.warmupRatio, totalSteps);
    const scheduler = new Scheduler(optimizer, cosineWithWarmup({ warmupSteps, totalSteps }));
    if (r && (r.stageStep > 0 || r.batch > 0)) {
      const os = await readOptimizerState(resumeDir!);
      if (os) optimizer.loadState(os);
      scheduler.loadState(r.scheduler);
    }
    out({ type: 'stage-start', stage: stage.name, epochs: stage.epochs, totalSteps, warmupSteps, batchesPerEpoch: data.batchesPerEpoch });
    const params = readParams(trainable);
    let stageStep = r?.stageStep ?? 0;
    // A frozen adapter whose B matrices are all zero adds exactly nothing: skip its compute.
    const fwdParts = !stage.trainLora && loraIsIdentity(parts) ? { model: parts.model, projector: parts.projector } : parts;

    for (let epoch = r?.epoch ?? 0; epoch < stage.epochs; epoch++) {
      const er = r && r.epoch === epoch ? r : undefined;
      let next = er?.batch ?? 0;
      let lossSum = er?.epochLossSum ?? 0;
      let lossCount = er?.epochLossCount ?? 0;
      let acc = zeroGrads(trainable);
      let micro: number[] = [];
      let tokens = 0;
      let stepStart = performance.now();
      let lastNorm = NaN;
      const state = (over: Partial<TrainState>): TrainState => ({
        version: 1,
        stageIndex: si,
        epoch,
        batch: next,
        stageStep,
        globalStep,
        scheduler: scheduler.state(),
        dropoutRngState: dropoutRng.state,
        epochLossSum: lossSum,
        epochLossCount: lossCount,
        best,
        finished: false,
        config: opts.config,
        savedAt: new Date().toISOString(),
        ...over,
      });
      const checkpoint = async (s: TrainState, reason: 'epoch' | 'steps' | 'stop' | 'final', name = `step-${String(globalStep).padStart(8, '0')}`): Promise<string> => {
        const dir = await store.write(name, (d) => writeModelFiles(d, parts, optimizer, opts.baseModelName), s);
        await store.prune(keep);
        out({ type: 'checkpoint', stage: stage.name, epoch: epoch + 1, step: globalStep, path: dir, reason });
        return dir;
      };

      for await (const batch of data.batches(stage.name, epoch, next)) {
        if (batch.index !== next) throw new TrainError('E_TRAIN_DATA', `the data source gave batch ${batch.index}, expected ${next}`, { stage: stage.name, epoch });
        const vb = toVlmBatch(batch);
        let lossValue: number;
        try {
          const { loss, grads } = vlmLossAndGrads(fwdParts, vb, trainable, {
            ...(opts.gradientCheckpointing ? { checkpointLayers: true } : {}),
            ...(opts.lossChunkRows ? { lossChunkRows: opts.lossChunkRows } : {}),
            dropoutRng,
          });
          lossValue = (await loss.data())[0]!;
          loss.dispose();
          await accumulateGrads(acc, grads, accum);
          // WebGPU reports out-of-memory asynchronously: never step on invalid results.
          throwIfDeviceError(`${stage.name} epoch ${epoch + 1} batch ${batch.index}`);
        } finally {
          disposeVlmBatch(vb);
        }
        if (!Number.isFinite(lossValue)) {
          throw new TrainError('E_NONFINITE_LOSS', `the loss became ${lossValue}`, { stage: stage.name, epoch: epoch + 1, batch: batch.index, ids: batch.ids.join(',') }, 'lower the learning rate, or resume from the last checkpoint');
        }
        micro.push(lossValue);
        lossSum += lossValue;
        lossCount++;
        tokens += batchTokens(batch);
        next = batch.index + 1;
        if (!isOptimizerStepBoundary(batch.index, data.batchesPerEpoch, accum)) continue;

        const lr = scheduler.lastLr()[mainGroup]!;
        lastNorm = clipGradNorm(acc, opts.maxGradNorm);
        optimizer.step(params, acc);
        scheduler.step();
        writeParams(trainable, params);
        stageStep++;
        globalStep++;
        const dt = (performance.now() - stepStart) / 1000;
        out({
          type: 'step',
          stage: stage.name,
          epoch: epoch + 1,
          step: stageStep,
          globalStep,
          batch: next,
          batchesPerEpoch: data.batchesPerEpoch,
          totalSteps,
          loss: micro.reduce((a, b) => a + b, 0) / micro.length,
          microLosses: micro,
          lr,
          gradNorm: lastNorm,
          tokens,
          tokensPerS: tokens / Math.max(dt, 1e-9),
          memoryMB: tf.memory().numBytes / 2 ** 20,
          rssMB: process.memoryUsage().rss / 2 ** 20,
          elapsedS: elapsedS(),
        });
        acc = zeroGrads(trainable);
        micro = [];
        tokens = 0;
        stepStart = performance.now();
        const midEpoch = next < data.batchesPerEpoch;
        if (stop.requested && midEpoch) {
          const dir = await checkpoint(state({}), 'stop');
          out({ type: 'stopped', checkpoint: dir, stage: stage.name, epoch: epoch + 1, batch: next });
          out({ type: 'run-end', status: 'stopped', checkpoint: dir, ...(best ? { best } : {}) });
          return;
        }
        if (midEpoch && opts.checkpointEverySteps && stageStep % opts.checkpointEverySteps === 0) await checkpoint(state({}), 'steps');
      }
      if (next !== data.batchesPerEpoch) {
        throw new TrainError('E_TRAIN_DATA', `the data source ended after ${next} of ${data.batchesPerEpoch} batches`, { stage: stage.name, epoch: epoch + 1 });
      }

      // --- end of epoch: log, evaluate, keep the best, checkpoint
      const trainLoss = lossSum / Math.max(lossCount, 1);
      const lrNow = scheduler.lastLr()[mainGroup]!;
      out({ type: 'epoch', stage: stage.name, epoch: epoch + 1, trainLoss, lr: lrNow, elapsedS: elapsedS() });
      let metrics: Readonly<Record<string, number>> = {};
      if (stage.evaluate && evaluate) {
        const res = await evaluate({ stage: stage.name, epoch: epoch + 1, parts });
        metrics = res.metrics;
        const metric = opts.bestMetric ?? 'siglip';
        const value = metric === 'loss' ? trainLoss : metrics[metric];
        const mode = opts.bestMode ?? (metric === 'loss' ? 'min' : 'max');
        if (value === undefined && !warnedMissingBest) {
          warnedMissingBest = true;
          out({ type: 'warning', code: 'W_BEST_METRIC_MISSING', message: `best metric "${metric}" is not among the evaluated metrics (${Object.keys(metrics).join(', ') || 'none'}): best/ will be the final weights unless it appears` });
        }
        const improved = value !== undefined && Number.isFinite(value) && (!best || (mode === 'max' ? value > best.value : value < best.value));
        if (improved) {
          best = { metric, value: value!, stage: stage.name, epoch: epoch + 1 };
          const b = best;
          const dir = await runStore.write('best', async (d) => {
            await writeModelFiles(d, parts, undefined, opts.baseModelName);
            await writeFile(join(d, 'metrics.json'), JSON.stringify({ ...b, metrics }, null, 2) + '\n');
          }, { ...b, metrics }, { setLatest: false });
          out({ type: 'checkpoint', stage: stage.name, epoch: epoch + 1, step: globalStep, path: dir, reason: 'best' });
        }
        out({ type: 'evaluation', stage: stage.name, epoch: epoch + 1, metrics, ...(res.details ? { details: res.details } : {}), best: improved });
        if (metrics.diversity !== undefined && metrics.diversity < 0.5) {
          out({ type: 'warning', code: 'W_LOW_DIVERSITY', message: `diversity ${metrics.diversity.toFixed(3)} < 0.5 after ${stage.name} epoch ${epoch + 1}: the model may be collapsing to one caption` });
        }
      }
      await appendTrainingLog(join(opts.runDir, 'training_log.csv'), {
        stage: stage.name,
        epoch: epoch + 1,
        train_loss: trainLoss,
        siglip_score: metrics.siglip,
        diversity: metrics.diversity,
        lr: lrNow,
        timestamp: new Date().toISOString(),
        step: globalStep,
        meteor: metrics.meteor,
        bertscore_f1: metrics.bertscore_f1,
        cider: metrics.cider,
        eos_rate: metrics.eos_rate,
        grad_norm: lastNorm,
        elapsed_s: elapsedS(),
      });
      const lastEpoch = epoch + 1 === stage.epochs;
      const lastStage = si + 1 === opts.stages.length;
      if (lastEpoch && lastStage) break;
      // The position after this epoch: the next epoch, or the next stage with fresh optimizer state.
      const after = lastEpoch
        ? state({ stageIndex: si + 1, epoch: 0, batch: 0, stageStep: 0, scheduler: { lastStep: 0 }, epochLossSum: 0, epochLossCount: 0 })
        : state({ epoch: epoch + 1, batch: 0, epochLossSum: 0, epochLossCount: 0 });
      const dir = await checkpoint(after, 'epoch');
      if (stop.requested) {
        out({ type: 'stopped', checkpoint: dir, stage: stage.name, epoch: epoch + 1, batch: 0 });
        out({ type: 'run-end', status: 'stopped', checkpoint: dir, ...(best ? { best } : {}) });
        return;
      }
    }
  }

  // --- finished: the final checkpoint marks the run done; best/ falls back to the final weights
  const finalState: TrainState = {
    version: 1,
    stageIndex: opts.stages.length,
    epoch: 0,
    batch: 0,
    stageStep: 0,
    globalStep,
    scheduler: { lastStep: 0 },
    dropoutRngState: dropoutRng.state,
    epochLossSum: 0,
    epochLossCount: 0,
    best,
    finished: true,
    config: opts.config,
    savedAt: new Date().toISOString(),
  };
  const finalDir = await store.write('final', (d) => writeModelFiles(d, parts, undefined, opts.baseModelName), finalState);
  await store.prune(keep, ['latest', 'best', 'final']);
  const lastStage = opts.stages[opts.stages.length - 1];
  out({ type: 'checkpoint', stage: lastStage?.name ?? '', epoch: lastStage?.epochs ?? 0, step: globalStep, path: finalDir, reason: 'final' });
  if (!best) {
    const dir = await runStore.write('best', (d) => writeModelFiles(d, parts, undefined, opts.baseModelName), { metric: 'final', stage: lastStage?.name ?? '' }, { setLatest: false });
    out({ type: 'checkpoint', stage: lastStage?.name ?? '', epoch: lastStage?.epochs ?? 0, step: globalStep, path: dir, reason: 'best' });
  }
  out({ type: 'run-end', status: 'finished', checkpoint: finalDir, ...(best ? { best } : {}) });
}
