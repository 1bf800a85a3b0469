/** The decoded frame type shared by the decoder, the PNG writer and the synthetic generator. */

/** One RGB24 image: `data` holds `width*height*3` bytes, row-major, R,G,B per pixel. */
export interface RgbFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A black frame (used only when the caller asked for `onEmpty: 'black'`). */
export function blackFrame(width: number, height: number): RgbFrame {
  return { width, height, data: new Uint8Array(width * height * 3) };
}
