/**
 * The frames an ffmpeg `select` filter keeps, as raw RGB24 cut from stdout: the one decoding run of
 * sample-video.ts (select by index over the whole video) and decode-frames-seeking.ts (select by pts
 * after a seek), with the same output options, resize and rotation.
 */
import { Observable } from 'rxjs';
import { runFfmpeg } from './ffmpeg-process.js';
import type { ResizePlan } from './resize-plan.js';
import type { RgbFrame } from './rgb-frame.js';
import { DecodeError } from './errors.js';

/** `count` frames of `file` that `select` keeps, through `plan`'s filters; `inputOptions` before the input. */
export function selectedFrames(
  file: string,
  select: string,
  count: number,
  plan: ResizePlan,
  inputOptions: readonly string[] = [],
): Observable<RgbFrame> {
  const chunks = runFfmpeg({
    input: file,
    inputOptions,
    outputOptions: ['-map', '0:v:0', '-vf', [select, ...plan.filters].join(','), ...rawFramesOutput(count)],
  });
  return framesOf(chunks, plan.width, plan.height);
}

/**
 * The output options every frame decode shares: `count` video frames, nothing else, each frame as it comes
 * (`-vsync 0`: none duplicated or dropped), raw RGB24 on stdout.
 */
export function rawFramesOutput(count: number): string[] {
  return ['-loglevel', 'error', '-an', '-sn', '-dn', '-vsync', '0', '-frames:v', String(count)].concat([
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
  ]);
}

/**
 * Cut a byte stream into frames of `width*height*3` bytes. A frame's buffer is taken when its first byte comes,
 * uninitialized (every byte is written before the frame is emitted; a partial frame is an error): a zeroed one
 * allocated ahead, which the last frame of every run never used, cost a 720p video's decode ~0.3 s of CPU in
 * zeroing, page faults and collection (bench/results/2026-11-28-decode-workers-cpu.md).
 */
export function framesOf(chunks: Observable<Buffer>, width: number, height: number): Observable<RgbFrame> {
  const size = width * height * 3;
  return new Observable<RgbFrame>((subscriber) => {
    let cur: Uint8Array | undefined;
    let off = 0;
    return chunks.subscribe({
      next: (chunk) => {
        let pos = 0;
        while (pos < chunk.length) {
          cur ??= Buffer.allocUnsafeSlow(size);
          const n = Math.min(size - off, chunk.length - pos);
          cur.set(chunk.subarray(pos, pos + n), off);
          off += n;
          pos += n;
          if (off === size) {
            // A plain Uint8Array view (not a Buffer) of the frame's own ArrayBuffer, as before.
            subscriber.next({ width, height, data: new Uint8Array(cur.buffer, cur.byteOffset, size) });
            cur = undefined;
            off = 0;
          }
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => {
        if (off !== 0)
          subscriber.error(
            new DecodeError('E_DECODE_FAILED', `ffmpeg output ${off} stray bytes (frame size mismatch)`, {
              reason: 'raw output is not a whole number of frames',
              expected: `${width}x${height}`,
            }),
          );
        else subscriber.complete();
      },
    });
  });
}
