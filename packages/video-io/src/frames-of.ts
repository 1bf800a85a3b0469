/** Raw RGB24 frames cut from ffmpeg's stdout (the decoders of sample-video.ts and decode-frames-seeking.ts). */
import { Observable } from 'rxjs';
import type { RgbFrame } from './rgb-frame.js';
import { DecodeError } from './errors.js';

/** Cut a byte stream into frames of `width*height*3` bytes. */
export function framesOf(chunks: Observable<Buffer>, width: number, height: number): Observable<RgbFrame> {
  const size = width * height * 3;
  return new Observable<RgbFrame>((subscriber) => {
    let cur = new Uint8Array(size);
    let off = 0;
    return chunks.subscribe({
      next: (chunk) => {
        let pos = 0;
        while (pos < chunk.length) {
          const n = Math.min(size - off, chunk.length - pos);
          cur.set(chunk.subarray(pos, pos + n), off);
          off += n;
          pos += n;
          if (off === size) {
            subscriber.next({ width, height, data: cur });
            cur = new Uint8Array(size);
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
