/**
 * Decoding the uniformly sampled frames of one video through ffmpeg: frame-exact selection by
 * index (`select=eq(n\,i)+...` with `-vsync 0`, so nothing is duplicated or dropped), autorotate,
 * optional resize/crop inside ffmpeg, raw RGB24 on a pipe. Where it pays, the same frames come from
 * seeking to each one's keyframe instead of decoding the whole video (decode-frames-seeking.ts,
 * checked by pts; anything unexpected falls back to the scan). Duplicated indices are decoded once
 * and emitted once per requested position; frames ffmpeg could not deliver are replaced by the
 * last good one and reported in `substituted`. Memory stays bounded whatever the resolution: ffmpeg
 * scales frames down to the decode bound (frame-bounds.ts), absurd sizes are refused
 * (`E_VIDEO_DIMENSIONS`), and `mapFrame` shrinks each frame as it arrives, before the next is cut.
 */
import type { Observable } from 'rxjs';
import { catchError, defer, map, of, switchMap, throwError, toArray } from 'rxjs';
import { probeVideo, type VideoProbe } from './probe-video.js';
import { planResize, type ResizeSpec } from './resize-plan.js';
import { blackFrame, type RgbFrame } from './rgb-frame.js';
import { selectedFrames } from './selected-frames.js';
import { decodeFramesSeeking } from './decode-frames-seeking.js';
import { uniformIndices } from './uniform-indices.js';
import { DEFAULT_MAX_SHORT_EDGE, dimensionsProblem } from './frame-bounds.js';
import { DecodeError, InvalidArgumentError, VideoIoError } from './errors.js';

/** Options of {@link sampleVideo}. */
export interface SampleOptions {
  /** How many frames to sample uniformly (default 8, like the seed). */
  readonly numFrames?: number;
  /** Resize inside ffmpeg (default: keep the display size, within `maxShortEdge`). */
  readonly resize?: ResizeSpec;
  /**
   * Without `resize`, frames whose short edge is larger are scaled down to it inside ffmpeg
   * (default 2160: 4K UHD and smaller keep their size; see frame-bounds.ts).
   */
  readonly maxShortEdge?: number;
  /**
   * Applied to each decoded frame as soon as it is cut from ffmpeg's output, so only its result is
   * kept (e.g. an image processor's resize and crop: a video's full-size frames never pile up).
   */
  readonly mapFrame?: (frame: RgbFrame) => RgbFrame;
  /** A video that yields no frame is an error (default), or gives black frames (the seed's behaviour). */
  readonly onEmpty?: 'error' | 'black';
  /** A probe already made (skips running ffprobe again). */
  readonly probe?: VideoProbe;
  /**
   * Decode by seeking to the keyframe before each sampled frame where that costs well under
   * decoding every frame (decode-frames-seeking.ts; the same frames, bit for bit), else scan the
   * whole video. Default true.
   */
  readonly seek?: boolean;
  /** Override the frame count used for sampling (when the caller knows better than the probe). */
  readonly totalFrames?: number;
}

/** The sampled frames of one video. */
export interface SampledVideo {
  readonly file: string;
  readonly probe: VideoProbe;
  /** Frame count the indices were computed from. */
  readonly totalFrames: number;
  /** Sampled frame indices, one per output frame. */
  readonly indices: readonly number[];
  /** Size of the output frames (after resize and `mapFrame`). */
  readonly width: number;
  readonly height: number;
  readonly frames: readonly RgbFrame[];
  /** Positions in `frames` that repeat the last good frame (or are black, with `onEmpty: 'black'`). */
  readonly substituted: readonly number[];
}

/**
 * Decode the frames at `uniqueIndices` (strictly increasing) of `file`, displayed at
 * `displayWidth`×`displayHeight`, optionally resized. Emits frames in index order; may emit fewer
 * when the video has fewer decodable frames than indexed.
 */
export function decodeFramesAt(
  file: string,
  uniqueIndices: readonly number[],
  displayWidth: number,
  displayHeight: number,
  resize?: ResizeSpec,
  maxShortEdge?: number,
): Observable<RgbFrame> {
  return defer(() => {
    for (let i = 0; i < uniqueIndices.length; i++) {
      const v = uniqueIndices[i]!;
      if (!Number.isInteger(v) || v < 0 || (i > 0 && v <= uniqueIndices[i - 1]!))
        throw new InvalidArgumentError('frame indices must be increasing non-negative integers', {
          file,
          indices: uniqueIndices,
        });
    }
    const plan = planResize(displayWidth, displayHeight, resize, maxShortEdge);
    const select = `select=${uniqueIndices.map((i) => `eq(n\\,${i})`).join('+')}`;
    return selectedFrames(file, select, uniqueIndices.length, plan);
  }).pipe(
    catchError((err: unknown) => {
      if (err instanceof InvalidArgumentError) return throwError(() => err);
      const ctx = err instanceof VideoIoError ? err.context : {};
      const reason = (err as Error).message;
      return throwError(
        () =>
          new DecodeError(
            'E_DECODE_FAILED',
            `cannot decode frames: ${reason}`,
            { file, reason, ...ctx },
            'check the file with `kvc frames <video>`; re-encode it (ffmpeg -i in.mp4 -c:v libx264 out.mp4) if it is damaged',
            { cause: err },
          ),
      );
    }),
  );
}

/** Sample `numFrames` frames uniformly from a video (cold; ffmpeg is killed on unsubscribe). */
export function sampleVideo(file: string, options: SampleOptions = {}): Observable<SampledVideo> {
  const n = options.numFrames ?? 8;
  const bound = options.maxShortEdge ?? DEFAULT_MAX_SHORT_EDGE;
  const mapFrame = options.mapFrame ?? ((f: RgbFrame) => f);
  const seek = options.seek !== false;
  return defer(() => (options.probe ? of(options.probe) : probeVideo(file, { listPackets: seek }))).pipe(
    switchMap((probe) => {
      const problem = dimensionsProblem(probe.width, probe.height);
      if (problem) {
        const hint = 'scale the video down first (ffmpeg -i in.mp4 -vf scale=-2:1080 out.mp4)';
        return throwError(() => new DecodeError('E_VIDEO_DIMENSIONS', problem, { file, reason: problem }, hint));
      }
      const total = options.totalFrames ?? probe.frameCount;
      const plan = planResize(probe.width, probe.height, options.resize, bound);
      const sampled = (indices: number[], frames: RgbFrame[], substituted: number[]): SampledVideo => {
        const size = { width: frames[0]?.width ?? plan.width, height: frames[0]?.height ?? plan.height };
        // The packet list served the seek plan; a long video's would otherwise ride along with its frames.
        const { packets: _packets, ...kept } = probe;
        return { file, probe: kept, totalFrames: total, indices, ...size, frames, substituted };
      };
      const empty = (reason: string): Observable<SampledVideo> => {
        if (options.onEmpty !== 'black') {
          return throwError(
            () =>
              new DecodeError(
                'E_NO_FRAMES',
                'the video yielded no frame',
                { file, reason },
                "the file may be truncated or empty; pass onEmpty: 'black' to get black frames instead",
              ),
          );
        }
        const indices = total > 0 ? uniformIndices(total, n) : new Array<number>(n).fill(0);
        const black = mapFrame(blackFrame(plan.width, plan.height));
        const frames = indices.map(() => ({ ...black, data: black.data.slice() }));
        return of(
          sampled(
            indices,
            frames,
            indices.map((_, i) => i),
          ),
        );
      };
      if (total < 1) return empty(`frame count is ${total}`);
      const indices = uniformIndices(total, n);
      const unique = [...new Set(indices)];
      const scan = () =>
        decodeFramesAt(file, unique, probe.width, probe.height, options.resize, bound).pipe(map(mapFrame), toArray());
      // Seeking that fails in any way (no packet list, a segment short of its frames) costs only the scan.
      const seeking = !seek
        ? of(undefined)
        : decodeFramesSeeking(file, unique, total, plan, mapFrame, probe.packets).pipe(catchError(() => of(undefined)));
      return seeking.pipe(
        switchMap((frames) => (frames ? of(frames) : scan())),
        switchMap((decoded) => {
          if (decoded.length === 0) return empty(`ffmpeg decoded none of the ${unique.length} selected frames`);
          const substituted: number[] = [];
          const frames = indices.map((idx, pos) => {
            const u = unique.indexOf(idx);
            if (u < decoded.length) return decoded[u]!;
            substituted.push(pos);
            return decoded[decoded.length - 1]!;
          });
          return of(sampled(indices, frames, substituted));
        }),
      );
    }),
  );
}
