/**
 * One dataset sample's frames, and the skip event for a sample whose video cannot be decoded: the
 * single place that decides which decode failures skip a sample (the video's fault) and which end
 * a run (ffmpeg itself missing), shared by `decodeSamples` and by callers that schedule decoding
 * themselves (e.g. a feature cache that decodes only its misses).
 */
import { type Observable, map } from 'rxjs';
import { type SampleEvent, type SkipCode, type SkipEvent, skip } from './dataset-events.js';
import { FfmpegNotFoundError, VideoIoError } from './errors.js';
import { type SampleOptions, type SampledVideo, sampleVideo } from './sample-video.js';

/** Decode failures whose error code is their skip code; any other is `E_VIDEO_UNDECODABLE`. */
const OWN_CODES = ['E_NO_FRAMES', 'E_VIDEO_DIMENSIONS'] as const satisfies readonly SkipCode[];

/** A sample with its decoded frames. */
export interface FramesEvent {
  readonly type: 'frames';
  readonly sample: SampleEvent;
  readonly video: SampledVideo;
}

/** Options of {@link decodeSample}: sampling options; the sample's own probe is used when it has one. */
export type DecodeSampleOptions = Omit<SampleOptions, 'probe' | 'totalFrames'>;

/** Decodes the sampled frames of one sample (one value, then complete; errors as `sampleVideo` does). */
export function decodeSample(sample: SampleEvent, options: DecodeSampleOptions = {}): Observable<FramesEvent> {
  return sampleVideo(sample.video, { ...options, ...(sample.probe ? { probe: sample.probe } : {}) }).pipe(
    map((video): FramesEvent => ({ type: 'frames', sample, video })),
  );
}

/**
 * The skip event for `sample` whose decoding failed with `err`. Rethrows `err` when the failure is
 * not the video's fault (no ffmpeg binary): skipping every sample for it would hide the real problem.
 */
export function decodeSkip(sample: SampleEvent, err: unknown): SkipEvent {
  if (err instanceof FfmpegNotFoundError) throw err;
  const own = err instanceof VideoIoError && OWN_CODES.find((c) => c === err.code);
  const code: SkipCode = own || 'E_VIDEO_UNDECODABLE';
  return skip(sample.id, sample.video, code, err instanceof Error ? err.message : String(err));
}
