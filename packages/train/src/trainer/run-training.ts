/**
 * The training loop, top to bottom like nanoGPT's train.py: start or resume (or skip a finished
 * run), then for each stage a fresh AdamW and warmup-cosine schedule, its epochs of accumulated
 * micro-batches with clipping, and at each epoch's end a checkpoint that lets a killed run
 * continue to the same weights, evaluation and best/. Aborting `signal` stops after the current
 * optimizer step with a checkpoint. Events go to `emit` and to events.jsonl. The run folder is
 * locked for the run (unless the caller holds its lock), so no second process trains into it.
 */
import { mkdir } from 'node:fs/promises';
import { completeEpochEnd, endOfEpoch } from './end-of-epoch.js';
import { finishRun, stopRun } from './finish-run.js';
import { acquireRunLock } from './run-lock.js';
import { stageEndEvent, startStage } from './stage-run.js';
import { startOrResume, type RunTrainingInputs } from './start-or-resume.js';
import { trainEpoch } from './train-epoch.js';

export type { RunTrainingInputs } from './start-or-resume.js';

export async function runTraining(inputs: RunTrainingInputs): Promise<void> {
  const { runDir, runLockHeld } = inputs.options;
  await mkdir(runDir, { recursive: true });
  const lock = runLockHeld ? undefined : acquireRunLock(runDir);
  try {
    await trainRun({ ...inputs, ...(lock?.warning ? { warning: lock.warning } : {}) });
  } finally {
    lock?.release();
  }
}

async function trainRun(inputs: RunTrainingInputs): Promise<void> {
  const run = await startOrResume(inputs);
  if (!run) return; // already finished with this config
  // Stopped during an epoch-end evaluation: evaluate and log that epoch first (end-of-epoch.ts).
  const owed = run.resume?.state.pendingEpochEnd;
  if (owed) await completeEpochEnd(run, owed, run.resume!.dir);

  for (let si = run.resume?.state.stageIndex ?? 0; si < run.opts.stages.length; si++) {
    // A stage of 0 epochs (e.g. `train.stage2.epochs=0`: the projector alone) trains nothing: no optimizer,
    // no schedule (whose total steps would be 0), no events.
    if (run.opts.stages[si]!.epochs === 0) continue;
    const stage = await startStage(run, si);
    for (let epoch = stage.resume?.epoch ?? 0; epoch < stage.spec.epochs; epoch++) {
      const trained = await trainEpoch(run, stage, epoch);
      if (trained.stopped) return stopRun(run, trained.checkpoint, stage.spec.name, epoch, trained.batch);
      const checkpoint = await endOfEpoch(run, stage, epoch, trained);
      if (checkpoint && run.signal?.aborted) return stopRun(run, checkpoint, stage.spec.name, epoch, 0);
    }
    run.out(stageEndEvent(stage));
  }
  await finishRun(run);
}
