/**
 * `decodeSamples`: decode the sampled frames of each dataset sample, at most `concurrency`
 * videos at once (each holds one ffmpeg process and its frames). Skip events pass through; a
 * video that fails to decode becomes a skip event (default) or errors the stream.
 * Output keeps the input order (a later video that finishes first waits), so a parallel decode
 * gives what a sequential one gives.
 */
import { type OperatorFunction, catchError, of, throwError } from 'rxjs';
import type { DatasetEvent, SkipEvent } from '../dataset-events.js';
import { type DecodeSampleOptions, type FramesEvent, decodeSample, decodeSkip } from '../decode-sample.js';
import { defaultDecodeConcurrency } from '../decode-concurrency.js';
import { orderedMergeMap } from './ordered-merge-map.js';

/** Options of {@link decodeSamples}. */
export interface DecodeSamplesOptions extends DecodeSampleOptions {
  /** Videos decoded at once (default: the cores available, at most 32; see decode-concurrency.ts). */
  readonly concurrency?: number;
  /** What a decoding failure does: become a skip event (default) or error the stream. */
  readonly onError?: 'skip' | 'error';
}

/** Decode every sample's frames with bounded parallelism. */
export function decodeSamples(
  options: DecodeSamplesOptions = {},
): OperatorFunction<DatasetEvent, FramesEvent | SkipEvent> {
  const { concurrency = defaultDecodeConcurrency(), onError = 'skip', ...sampling } = options;
  return orderedMergeMap((ev: DatasetEvent) => {
    if (ev.type === 'skip') return of(ev);
    return decodeSample(ev, sampling).pipe(
      catchError((err: unknown) => (onError === 'error' ? throwError(() => err) : of(decodeSkip(ev, err)))),
    );
  }, concurrency);
}
