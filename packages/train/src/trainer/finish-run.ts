/**
 * How a run ends. Finished: the final checkpoint marks the run done (a rerun with the same config
 * is skipped) and best/ falls back to the final weights when no evaluation chose one. Stopped:
 * `stopped` names the checkpoint to resume from, then `run-end`.
 */
import { savedState, stageStart, type RunContext } from './run-state.js';
import { writeModelFiles } from './train-checkpoint.js';

export async function finishRun(run: RunContext): Promise<void> {
  const { opts, parts } = run;
  const state = savedState(run, stageStart(opts.stages.length), true);
  const fill = (d: string) => writeModelFiles(d, parts, undefined, opts.baseModelName);
  const finalDir = await run.store.write('final', fill, state);
  await run.store.prune(opts.keepCheckpoints ?? 2, ['latest', 'best', 'final']);
  const lastStage = opts.stages.filter((st) => st.epochs > 0).pop(); // stages of 0 epochs were skipped
  const at = { stage: lastStage?.name ?? '', epoch: lastStage?.epochs ?? 0, step: run.globalStep };
  run.out({ type: 'checkpoint', ...at, path: finalDir, reason: 'final' });
  if (!run.best) {
    const dir = await run.runStore.write('best', fill, { metric: 'final', stage: at.stage }, { setLatest: false });
    run.out({ type: 'checkpoint', ...at, path: dir, reason: 'best' });
  }
  run.out({ type: 'run-end', status: 'finished', checkpoint: finalDir, ...(run.best ? { best: run.best } : {}) });
}

/** After a stop checkpoint at `batch` of `stage`'s 0-based `epoch`. */
export function stopRun(run: RunContext, checkpoint: string, stage: string, epoch: number, batch: number): void {
  run.out({ type: 'stopped', checkpoint, stage, epoch: epoch + 1, batch });
  run.out({ type: 'run-end', status: 'stopped', checkpoint, ...(run.best ? { best: run.best } : {}) });
}
