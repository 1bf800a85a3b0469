/**
 * `probeSamples`: probe each sample's video with bounded concurrency, attaching the probe, or
 * turning the sample into an `E_VIDEO_UNDECODABLE` skip (`E_VIDEO_DIMENSIONS` for absurd sizes).
 * Output keeps the input order, so sources stay deterministic.
 */
import { type OperatorFunction, catchError, map, of } from 'rxjs';
import type { DatasetEvent } from '../dataset-events.js';
import { skip } from '../dataset-events.js';
import { probeVideo } from '../probe-video.js';
import { dimensionsProblem } from '../frame-bounds.js';
import { orderedMergeMap } from './ordered-merge-map.js';

/** Options of {@link probeSamples}. */
export interface ProbeSamplesOptions {
  /** ffprobe processes at once (default 2). */
  readonly concurrency?: number;
  /** Count frames by decoding (default true). */
  readonly countFrames?: boolean;
}

/** Probe every sample's video; skip events pass through untouched. */
export function probeSamples(options: ProbeSamplesOptions = {}): OperatorFunction<DatasetEvent, DatasetEvent> {
  return orderedMergeMap<DatasetEvent, DatasetEvent>((ev) => {
    if (ev.type !== 'sample') return of(ev);
    return probeVideo(ev.video, { countFrames: options.countFrames ?? true }).pipe(
      map((probe): DatasetEvent => {
        const problem = dimensionsProblem(probe.width, probe.height);
        if (problem) return skip(ev.id, ev.video, 'E_VIDEO_DIMENSIONS', problem);
        if (probe.frameCount > 0) return { ...ev, probe };
        return skip(ev.id, ev.video, 'E_VIDEO_UNDECODABLE', 'ffprobe found 0 frames');
      }),
      // the probe error's message already ends with ffprobe's last stderr line
      catchError((err: unknown) => of(skip(ev.id, ev.video, 'E_VIDEO_UNDECODABLE', (err as Error).message))),
    );
  }, options.concurrency ?? 2);
}
