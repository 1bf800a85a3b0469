/** Decodes a PNG file (any colour type pngjs reads) to an RGB24 frame, dropping alpha. */
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import type { RgbFrame } from './image-processor.js';

export async function readPngFrame(path: string): Promise<RgbFrame> {
  const png = PNG.sync.read(await readFile(path));
  const n = png.width * png.height;
  const data = new Uint8Array(n * 3);
  // pngjs always yields RGBA 8-bit.
  for (let i = 0; i < n; i++) {
    data[i * 3] = png.data[i * 4]!;
    data[i * 3 + 1] = png.data[i * 4 + 1]!;
    data[i * 3 + 2] = png.data[i * 4 + 2]!;
  }
  return { width: png.width, height: png.height, data };
}
