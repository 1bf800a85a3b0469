/**
 * `decodeSamples`: decode the sampled frames of each dataset sample, at most `concurrency`
 * videos at once (each holds one ffmpeg process and its frames). Skip events pass through; a
 * video that fails to decode becomes a skip event (default) or errors the stream.
 * Output order follows completion, not input.
 */
import { type OperatorFunction, catchError, mergeMap, of, throwError } from 'rxjs';
import type { DatasetEvent, SkipEvent } from '../dataset-events.js';
import { type DecodeSampleOptions, type FramesEvent, decodeSample, decodeSkip } from '../decode-sample.js';

/** Options of {@link decodeSamples}. */
export interface DecodeSamplesOptions extends DecodeSampleOptions {
  /** Videos decoded at once (default 2). */
  readonly concurrency?: number;
  /** What a decoding failure does: become a skip event (default) or error the stream. */
  readonly onError?: 'skip' | 'error';
}

/** Decode every sample's frames with bounded parallelism. */
export function decodeSamples(
  options: DecodeSamplesOptions = {},
): OperatorFunction<DatasetEvent, FramesEvent | SkipEvent> {
  const { concurrency = 2, onError = 'skip', ...sampling } = options;
  return mergeMap((ev: DatasetEvent) => {
    if (ev.type === 'skip') return of(ev);
    return decodeSample(ev, sampling).pipe(
      catchError((err: unknown) => (onError === 'error' ? throwError(() => err) : of(decodeSkip(ev, err)))),
    );
  }, concurrency);
}
