import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReferenceTensors } from '../parity/read-case.js';
import { EncoderTokenizer } from '../processors/encoder-tokenizer.js';
import { SiglipModel } from './siglip-model.js';
import { siglipTokenize } from './siglip-tokenize.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/siglip/', import.meta.url));
// No Gemma tokenizer is in the fixtures: a WordPiece one stands in to test padding options.
const TOKENIZER = fileURLToPath(new URL('../../../../test/fixtures/reference/bertscore/model/', import.meta.url));
let model: SiglipModel;
let pixels: tf.Tensor4D;
let ids: tf.Tensor2D;

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = await SiglipModel.load(join(CASE, 'model'));
  const ref = await readReferenceTensors(CASE);
  const px = ref.get('pixel_values')!;
  const t = ref.get('input_ids')!;
  pixels = tf.tensor4d(px.data, px.shape as [number, number, number, number]);
  ids = tf.tensor2d(Int32Array.from(t.data), t.shape as [number, number], 'int32');
});

afterAll(() => {
  tf.dispose([pixels, ids]);
  model.dispose();
});

describe('SiglipModel', () => {
  it('embeds images one by one exactly as in a batch', async () => {
    const batch = model.getImageFeatures(pixels);
    expect(batch.shape).toEqual([4, model.config.vision.hiddenSize]);
    for (let i = 0; i < 4; i++) {
      const one = tf.slice(pixels, [i, 0, 0, 0], [1, -1, -1, -1]);
      const e = model.getImageFeatures(one);
      const row = tf.slice(batch, [i, 0], [1, -1]);
      expect(await maxDiff(e, row)).toBeLessThan(1e-5);
      tf.dispose([one, e, row]);
    }
    batch.dispose();
  });

  it('logitsFromEmbeds on cached embeddings equals forward, and logits_per_image is the transpose', async () => {
    const out = model.forward(pixels, ids);
    const img = model.getImageFeatures(pixels);
    const txt = model.getTextFeatures(ids);
    const again = model.logitsFromEmbeds(img, txt);
    expect(out.logitsPerImage.shape).toEqual([4, 2]);
    expect(await maxDiff(again.logitsPerImage, out.logitsPerImage)).toBe(0);
    const t = tf.transpose(out.logitsPerText);
    expect(await maxDiff(t, out.logitsPerImage)).toBe(0);
    tf.dispose([t, img, txt, ...Object.values(out), ...Object.values(again)]);
  });

  it('an attention mask is optional and changes the text embedding when given', async () => {
    const mask = tf.tidy(() => tf.cast(tf.notEqual(ids, model.config.text.padTokenId), 'int32')) as tf.Tensor2D;
    const a = model.getTextFeatures(ids);
    const b = model.getTextFeatures(ids, mask);
    expect(await maxDiff(a, b)).toBeGreaterThan(1e-4);
    tf.dispose([mask, a, b]);
  });

  it('keeps tf memory flat over repeated batches', () => {
    const run = () => tf.dispose(Object.values(model.forward(pixels, ids)));
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('siglipTokenize', () => {
  it("pads to max_length 64 by default (the model card) and to the longest with padding 'longest' (the seed)", async () => {
    const tok = await EncoderTokenizer.load(TOKENIZER);
    const texts = ['한 남자가 공원에서 걷고 있다.', '영상은'];
    const byCard = siglipTokenize(tok, texts);
    expect(byCard.inputIds.map((r) => r.length)).toEqual([64, 64]);
    const seed = siglipTokenize(tok, texts, { padding: 'longest' });
    const n = tok.encodeOne(texts[0]!).length;
    expect(seed.inputIds.map((r) => r.length)).toEqual([n, n]);
    expect(byCard.inputIds[0]!.slice(0, n)).toEqual(seed.inputIds[0]);
    expect(siglipTokenize(tok, ['가 '.repeat(100)]).inputIds[0]!.length).toBe(64);
  });
});
