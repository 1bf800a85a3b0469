/**
 * The trainer as an RxJS stream of typed events. Unsubscribing (or aborting `signal`) stops
 * cleanly after the current optimizer step and writes a checkpoint; with a signal the stream
 * goes on to emit `stopped` and `run-end`, so a CLI can wait for the checkpoint on Ctrl-C.
 */
import { Observable } from 'rxjs';
import { runTraining, type StopFlag } from './run-training.js';
import type { EvaluateHook, TrainEvent, TrainParts, TrainerData, TrainerOptions } from './trainer-types.js';

export interface TrainInputs {
  readonly options: TrainerOptions;
  readonly parts: TrainParts;
  readonly data: TrainerData;
  readonly evaluate?: EvaluateHook;
  readonly signal?: AbortSignal;
}

export function train(inputs: TrainInputs): Observable<TrainEvent> {
  return new Observable<TrainEvent>((subscriber) => {
    const stop: StopFlag = { requested: Boolean(inputs.signal?.aborted) };
    const onAbort = (): void => {
      stop.requested = true;
    };
    inputs.signal?.addEventListener('abort', onAbort);
    runTraining(inputs.options, inputs.parts, inputs.data, inputs.evaluate, (e) => subscriber.next(e), stop).then(
      () => subscriber.complete(),
      (err: unknown) => subscriber.error(err),
    );
    return () => {
      stop.requested = true;
      inputs.signal?.removeEventListener('abort', onAbort);
    };
  });
}
