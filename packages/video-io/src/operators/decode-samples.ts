/**
 * `decodeSamples`: decode the sampled frames of each dataset sample, at most `concurrency`
 * videos at once (each holds one ffmpeg process and its frames). Skip events pass through; a
 * video that fails to decode becomes a skip event (default) or errors the stream.
 * Output order follows completion, not input.
 */
import { type OperatorFunction, catchError, map, mergeMap, of, throwError } from 'rxjs';
import { type SampleEvent, type SkipEvent, type SkipCode, skip } from '../dataset-events.js';
import type { DatasetEvent } from '../dataset-events.js';
import { type SampleOptions, type SampledVideo, sampleVideo } from '../sample-video.js';
import { VideoIoError } from '../errors.js';

/** A sample with its decoded frames. */
export interface FramesEvent {
  readonly type: 'frames';
  readonly sample: SampleEvent;
  readonly video: SampledVideo;
}

/** Options of {@link decodeSamples}. */
export interface DecodeSamplesOptions extends Omit<SampleOptions, 'probe' | 'totalFrames'> {
  /** Videos decoded at once (default 2). */
  readonly concurrency?: number;
  /** What a decoding failure does: become a skip event (default) or error the stream. */
  readonly onError?: 'skip' | 'error';
}

/** Decode every sample's frames with bounded parallelism. */
export function decodeSamples(options: DecodeSamplesOptions = {}): OperatorFunction<DatasetEvent, FramesEvent | SkipEvent> {
  const { concurrency = 2, onError = 'skip', ...sampling } = options;
  return mergeMap((ev: DatasetEvent) => {
    if (ev.type === 'skip') return of(ev);
    return sampleVideo(ev.video, { ...sampling, ...(ev.probe ? { probe: ev.probe } : {}) }).pipe(
      map((video): FramesEvent => ({ type: 'frames', sample: ev, video })),
      catchError((err: unknown) => {
        if (onError === 'error') return throwError(() => err);
        const code: SkipCode = err instanceof VideoIoError && err.code === 'E_NO_FRAMES' ? 'E_NO_FRAMES' : 'E_VIDEO_UNDECODABLE';
        return of(skip(ev.id, ev.video, code, (err as Error).message));
      }),
    );
  }, concurrency);
}
