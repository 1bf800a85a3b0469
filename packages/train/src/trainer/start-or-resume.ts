/**
 * The first step of a run: open the run folder, then either start fresh (config.json written),
 * continue from the latest checkpoint (its config must match; the newest complete one, with a
 * warning, when `latest` is unusable), or recognise a run that already finished with this config
 * (the seed's "SKIP"). Everything else in the folder is refused with a hint, so a run is never
 * silently overwritten or continued with different settings.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@kvc/models';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { configDiff } from '../checkpoint/config-diff.js';
import { TrainError } from '../errors.js';
import { EventsLog } from '../logs/events-log.js';
import { TensorboardLog } from '../logs/tensorboard/tensorboard-log.js';
import { GradScaler } from '../optim/grad-scaler.js';
import { trainingLogColumns } from '../logs/training-log.js';
import type { RunContext } from './run-state.js';
import { findResumePoint, resumePointAt } from './resume-point.js';
import { loadModelFiles } from './train-checkpoint.js';
import type { EvaluateHook, TrainEvent, TrainParts, TrainState, TrainerData, TrainerOptions } from './trainer-types.js';

/** What {@link runTraining} is given. */
export interface RunTrainingInputs {
  readonly options: TrainerOptions;
  readonly parts: TrainParts;
  readonly data: TrainerData;
  readonly evaluate?: EvaluateHook;
  /** Abort to stop cleanly with a checkpoint (after the current optimizer step). */
  readonly signal?: AbortSignal;
  /** Receives every event (after it is appended to events.jsonl). */
  readonly emit: (e: TrainEvent) => void;
  /** A warning from before the events log existed (taking over a stale run lock). */
  readonly warning?: { readonly code: string; readonly message: string };
}

/** The run to continue, or undefined when it already finished (a `skip` event was emitted). */
export async function startOrResume(inputs: RunTrainingInputs): Promise<RunContext | undefined> {
  const started = performance.now();
  const opts = inputs.options;
  const logColumns = trainingLogColumns(opts.logMetrics, { lossScale: opts.lossScale !== undefined });
  const store = new CheckpointStore(join(opts.runDir, 'checkpoints'));
  const runStore = new CheckpointStore(opts.runDir);
  const events = new EventsLog(join(opts.runDir, 'events.jsonl'));
  const board = opts.tensorboard === false ? undefined : new TensorboardLog(join(opts.runDir, 'tensorboard'));
  const out = (e: TrainEvent): void => {
    events.write(e as unknown as Record<string, unknown>);
    board?.write(e);
    inputs.emit(e);
  };
  if (inputs.warning) out({ type: 'warning', ...inputs.warning });
  if (inputs.data.batchesPerEpoch < 1) {
    const hint = 'check the dataset split and --data';
    throw new TrainError('E_TRAIN_DATA', 'the training data has no batches', { runDir: opts.runDir }, hint);
  }

  let resume: RunContext['resume'];
  await store.recoverSwaps();
  await runStore.recoverSwaps();
  const point = opts.resumeFrom ? await resumePointAt(opts.resumeFrom) : await findResumePoint(store, opts.runDir);
  if (point) {
    const { state: saved, dir: latest } = point;
    const diff = configDiff(saved.config, opts.config, opts.resumeIgnoreKeys ?? []);
    if (point.warning) out({ type: 'warning', ...point.warning });
    if (saved.finished && diff.length === 0) {
      out({ type: 'skip', reason: 'this run already finished with the same config', checkpoint: latest });
      return undefined;
    }
    refuseUnlessResumable(saved, diff, latest, opts);
    await loadModelFiles(latest, inputs.parts);
    resume = { state: saved, dir: latest };
  } else {
    if (opts.resume) {
      const message = `nothing to resume in ${store.root} (no checkpoint yet): starting a new run`;
      out({ type: 'warning', code: 'W_RESUME_NOTHING', message });
    }
    await writeFile(join(opts.runDir, 'config.json'), JSON.stringify(opts.config, null, 2) + '\n');
  }
  const stages = opts.stages.map((s) => s.name);
  const from = resume ? { resumedFrom: resume.dir } : {};
  out({ type: 'run-start', runDir: opts.runDir, stages, ...from, backend: tf.getBackend() });

  const scaler = opts.lossScale ? new GradScaler(opts.lossScale) : undefined;
  // A run resumed with scaling keeps its scale; one that trained without it (f32) starts at initScale.
  if (scaler && resume?.state.lossScaler) scaler.loadState(resume.state.lossScaler);
  return {
    opts,
    parts: inputs.parts,
    data: inputs.data,
    evaluate: inputs.evaluate,
    signal: inputs.signal,
    out,
    store,
    runStore,
    elapsedS: () => (performance.now() - started) / 1000,
    dropoutRng: resume ? SeededRandom.fromState(resume.state.dropoutRngState) : new SeededRandom(opts.seed),
    resume,
    scaler,
    consecutiveSkips: 0,
    logColumns,
    globalStep: resume?.state.globalStep ?? 0,
    best: resume?.state.best ?? null,
    warnedMissingBest: false,
    warnedUnlogged: new Set(),
  };
}

function refuseUnlessResumable(saved: TrainState, diff: readonly string[], latest: string, opts: TrainerOptions): void {
  const keys = `${diff.length} key(s): ${diff.join(', ')}`;
  if (saved.finished) {
    // --resume cannot help here: a finished run is only ever skipped, and only with its own config.
    const context = { runDir: opts.runDir, checkpoint: latest, keys: diff };
    const hint = 'start a new run with --out, or run again with the same config to skip it';
    const message = `the run folder holds a finished run whose config differs in ${keys}`;
    throw new TrainError('E_RUN_EXISTS', message, context, hint);
  }
  if (!opts.resume && !opts.resumeFrom) {
    const hint = 'pass --resume to continue it, or --out to start a new run elsewhere';
    const context = { runDir: opts.runDir, checkpoint: latest };
    throw new TrainError('E_RUN_EXISTS', 'the run folder already holds a training run', context, hint);
  }
  if (diff.length) {
    const hint = 'resume with the same config, or start a new run with --out';
    const message = `cannot resume: the config differs from the checkpoint's in ${keys}`;
    throw new TrainError('E_RESUME_CONFIG', message, { checkpoint: latest, keys: diff }, hint);
  }
}
