/**
 * The trainer as an RxJS stream of typed events. Unsubscribing (or aborting `signal`) stops
 * cleanly after the current optimizer step and writes a checkpoint; with a signal the stream
 * goes on to emit `stopped` and `run-end`, so a CLI can wait for the checkpoint on Ctrl-C.
 */
import { Observable } from 'rxjs';
import { runTraining } from './run-training.js';
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
    // One controller for both ways to stop: the caller's signal and unsubscribing.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    if (inputs.signal?.aborted) stop.abort();
    inputs.signal?.addEventListener('abort', onAbort);
    runTraining({ ...inputs, signal: stop.signal, emit: (e) => subscriber.next(e) }).then(
      () => subscriber.complete(),
      (err: unknown) => subscriber.error(err),
    );
    return () => {
      stop.abort();
      inputs.signal?.removeEventListener('abort', onAbort);
    };
  });
}
