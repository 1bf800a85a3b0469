/**
 * Encoding RGB frames rendered in JS into a video file by piping raw frames into ffmpeg.
 * Used by the synthetic dataset generator and by tests that need videos with known pixels.
 */
import { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import { catchError, ignoreElements, throwError } from 'rxjs';
import { runFfmpeg } from './ffmpeg-process.js';
import type { RgbFrame } from './rgb-frame.js';
import { EncodeError, InvalidArgumentError, VideoIoError } from './errors.js';

/** Options of {@link encodeVideo}. */
export interface EncodeOptions {
  readonly fps: number;
  /** Video codec (default libx264). */
  readonly codec?: string;
  /** Pixel format (default yuv420p, which every player reads; yuv444p for near-lossless tests). */
  readonly pixFmt?: string;
  /** Constant rate factor / quantizer for x264 (default crf 18; 0 is lossless). */
  readonly crf?: number;
  /** Extra output options (e.g. `['-metadata:s:v', 'rotate=90']`). */
  readonly extraOutputOptions?: readonly string[];
}

/**
 * Encode `frames` (all the same size) into `outFile`. Deterministic as far as the encoder is:
 * one thread, fixed parameters, no metadata that carries the time or the encoder's version.
 */
export function encodeVideo(frames: readonly RgbFrame[], outFile: string, options: EncodeOptions): Observable<never> {
  const first = frames[0];
  if (!first)
    return throwError(() => new InvalidArgumentError('cannot encode a video without frames', { file: outFile }));
  for (const f of frames) {
    if (f.width !== first.width || f.height !== first.height || f.data.length !== f.width * f.height * 3) {
      return throwError(
        () =>
          new InvalidArgumentError('all frames must have the same size and hold width*height*3 bytes', {
            file: outFile,
          }),
      );
    }
  }
  const codec = options.codec ?? 'libx264';
  const x264 = codec.startsWith('libx264')
    ? ['-preset', 'medium', '-crf', String(options.crf ?? 18), '-x264-params', 'threads=1:sliced-threads=0']
    : [];
  return runFfmpeg({
    input: Readable.from(frames.map((f) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length))),
    inputOptions: [
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${first.width}x${first.height}`,
      '-r',
      String(options.fps),
    ],
    outputOptions: [
      '-loglevel',
      'error',
      '-y',
      '-threads',
      '1',
      '-map_metadata',
      '-1',
      '-fflags',
      '+bitexact',
      '-flags:v',
      '+bitexact',
      '-c:v',
      codec,
      ...x264,
      '-pix_fmt',
      options.pixFmt ?? 'yuv420p',
      ...(options.extraOutputOptions ?? []),
      '-f',
      'mp4',
    ],
    output: outFile,
  }).pipe(
    ignoreElements(),
    catchError((err: unknown) => {
      const ctx = err instanceof VideoIoError ? err.context : {};
      return throwError(
        () =>
          new EncodeError(
            'E_ENCODE_FAILED',
            `cannot encode video: ${(err as Error).message}`,
            { file: outFile, ...ctx },
            undefined,
            { cause: err },
          ),
      );
    }),
  );
}
