import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageProcessor, loadImageProcessor, readPngFrame } from '@kvc/models';
import { processorFrame } from './processor-frame.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/processors/', import.meta.url));

describe('processorFrame', () => {
  it.each(['clip', 'siglip'])(
    '%s: pixel values from shrunk frames are bit-identical to those from the full frames',
    async (name) => {
      const processor = await loadImageProcessor(join(CASE, name));
      const frame = await readPngFrame(join(CASE, 'frame.png'));
      const shrunk = processorFrame(processor)(frame);
      expect(shrunk.width * shrunk.height).toBeLessThan(frame.width * frame.height);
      const full = processor.preprocess([frame]);
      const fromShrunk = processor.preprocess([shrunk]);
      expect(fromShrunk.shape).toEqual(full.shape);
      expect(Buffer.from(fromShrunk.data.buffer).equals(Buffer.from(full.data.buffer))).toBe(true);
    },
  );

  it('a processor that only resizes (no crop) also leaves its own output as it is', async () => {
    const clip = await loadImageProcessor(join(CASE, 'clip'));
    const processor = new ImageProcessor({ ...clip.config, doCenterCrop: false });
    const frame = await readPngFrame(join(CASE, 'frame.png'));
    const shrunk = processorFrame(processor)(frame);
    expect(Array.from(processor.preprocess([shrunk]).data)).toEqual(Array.from(processor.preprocess([frame]).data));
  });
});
