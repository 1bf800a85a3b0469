import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageProcessorConfig } from '../processors/image-processor-config.js';
import { ImageProcessor } from '../processors/image-processor.js';
import { ClipVisionModel } from './clip-vision-model.js';
import { encodeFrames } from './encode-frames.js';

const MODEL = fileURLToPath(new URL('../../../../test/fixtures/reference/clip/model/', import.meta.url));
let model: ClipVisionModel;
let proc: ImageProcessor;
const frames = Array.from({ length: 5 }, (_, k) => {
  const width = 40 + k * 4;
  const height = 30;
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * (k + 3)) % 251) };
});

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = await ClipVisionModel.load(MODEL);
  // The fixture model takes 56-pixel images: a CLIP processor sized for it.
  proc = new ImageProcessor(
    parseImageProcessorConfig({
      image_processor_type: 'CLIPImageProcessor',
      size: { shortest_edge: 56 },
      crop_size: { height: 56, width: 56 },
    }),
  );
});

afterAll(() => model.dispose());

describe('encodeFrames', () => {
  it('gives the same features whatever the batch size, with or without CLS, memory flat', async () => {
    const all = encodeFrames(model, proc, frames, { batchSize: 5 });
    expect(all.shape).toEqual([5, 17, 32]);
    const before = tf.memory().numTensors;
    const chunked = encodeFrames(model, proc, frames, { batchSize: 2, dropCls: true, hiddenState: -1 });
    expect(chunked.shape).toEqual([5, 16, 32]);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(all, [0, 1, 0], [-1, -1, -1]), chunked))));
    expect((await d.data())[0]).toBeLessThan(1e-5);
    tf.dispose([d, chunked]);
    expect(tf.memory().numTensors).toBe(before);
    all.dispose();
    expect(() => encodeFrames(model, proc, frames, { batchSize: 0 })).toThrow(/batchSize/);
  });
});
