/** Writing an RGB frame as a PNG file (pngjs), for `kvc frames` and for looking at samples. */
import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import type { RgbFrame } from './rgb-frame.js';
import { InvalidArgumentError, writeFailed } from './errors.js';

/** Encode an RGB frame as PNG bytes. */
export function encodePng(frame: RgbFrame): Buffer {
  const { width, height, data } = frame;
  if (data.length !== width * height * 3)
    throw new InvalidArgumentError(`frame data has ${data.length} bytes, expected ${width * height * 3}`, {
      width,
      height,
    });
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.length);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Write an RGB frame to `file` as PNG. */
export async function writePng(frame: RgbFrame, file: string): Promise<void> {
  await writeFile(file, encodePng(frame)).catch(writeFailed(file));
}

/** Read a PNG file's pixels back as RGB (used by tests and tools that compare frames). */
export function decodePng(bytes: Buffer): RgbFrame {
  const png = PNG.sync.read(bytes);
  const out = new Uint8Array(png.width * png.height * 3);
  for (let p = 0, q = 0; p < png.data.length; p += 4, q += 3) {
    out[q] = png.data[p]!;
    out[q + 1] = png.data[p + 1]!;
    out[q + 2] = png.data[p + 2]!;
  }
  return { width: png.width, height: png.height, data: out };
}
