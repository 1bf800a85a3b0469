import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { readReferenceTensors } from '@kvc/models/parity';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaptionRecord } from '../predictions/caption-record.js';
import { SiglipScorer } from './siglip-scorer.js';
import type { SiglipVideoInput } from './siglip-video-input.js';

const CASE = new URL('../../../../test/fixtures/reference/siglip/', import.meta.url).pathname;
type Ref = Map<string, { shape: number[]; data: Float32Array }>;
let ref: Ref;
const get = (name: string) => {
  const t = ref.get(name);
  if (!t) throw new Error(`reference has no ${name}`);
  return t;
};
const sigmoidMean = (xs: number[]) => xs.reduce((a, x) => a + 1 / (1 + Math.exp(-x)), 0) / xs.length;

beforeAll(async () => {
  await initBackend('cpu');
  ref = (await readReferenceTensors(CASE)) as Ref;
});

/** Two captions of one video whose frames are the reference's 4 images; ids are the reference's rows. */
function scorer(frames: () => SiglipVideoInput, imageBatchSize?: number): { scorer: SiglipScorer; calls: string[] } {
  const ids = get('input_ids');
  const [rows, cols] = ids.shape as [number, number];
  const idRows = Array.from({ length: rows }, (_, r) => Array.from(ids.data.subarray(r * cols, (r + 1) * cols)));
  const calls: string[] = [];
  const s = new SiglipScorer({
    model: join(CASE, 'model'),
    frames: async (r) => (calls.push(r.id), frames()),
    tokenize: (texts) => texts.map((t) => idRows[Number(t)]!),
    ...(imageBatchSize ? { imageBatchSize } : {}),
  });
  return { scorer: s, calls };
}
const records: CaptionRecord[] = [
  { id: 'a', video: 'v.mp4', prediction: '0', reference: '' },
  { id: 'b', video: 'v.mp4', prediction: '1', reference: '' },
];

describe('SiglipScorer', () => {
  it('reproduces the reference score_text0 from pixel values, frames batched in chunks, video decoded once', async () => {
    const px = get('pixel_values');
    const { scorer: s, calls } = scorer(
      () => ({ pixels: { data: px.data, shape: px.shape as [number, number, number, number] } }),
      3,
    );
    await s.init();
    const before = tf.memory().numTensors;
    const scores = await s.scoreBatch(records);
    expect(tf.memory().numTensors).toBe(before);
    expect(calls).toEqual(['a']);
    expect(Math.abs(scores[0]!.siglip! - get('score_text0').data[0]!)).toBeLessThan(1e-5);
    // caption 1 against the reference logits' second column
    const logits = get('logits_per_image');
    const col1 = Array.from({ length: logits.shape[0]! }, (_, i) => logits.data[i * logits.shape[1]! + 1]!);
    expect(Math.abs(scores[1]!.siglip! - sigmoidMean(col1))).toBeLessThan(1e-5);
    expect(s.aggregate().siglip).toBeCloseTo((scores[0]!.siglip! + scores[1]!.siglip!) / 2, 12);
    s.dispose();
  });

  it('gives the same score from cached image embeddings', async () => {
    const emb = get('image_embeds');
    const { scorer: s } = scorer(() => ({ imageEmbeds: { data: emb.data, shape: emb.shape as [number, number] } }));
    await s.init();
    const [a] = await s.scoreBatch(records.slice(0, 1));
    expect(Math.abs(a!.siglip! - get('score_text0').data[0]!)).toBeLessThan(1e-5);
    s.dispose();
  });

  it('fails with the model path in the error when the model folder is missing', async () => {
    const s = new SiglipScorer({
      model: join(CASE, 'no-such-model'),
      frames: () => Promise.reject(new Error('unused')),
    });
    await expect(s.init()).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND' });
  });

  it('fetches a batch’s videos concurrently, and scores later evaluations from the kept embeddings', async () => {
    const px = get('pixel_values');
    const ids = get('input_ids');
    const [rows, cols] = ids.shape as [number, number];
    const idRows = Array.from({ length: rows }, (_, r) => Array.from(ids.data.subarray(r * cols, (r + 1) * cols)));
    let inFlight = 0,
      most = 0;
    const calls: string[] = [];
    const make = (keepImageEmbeds: boolean) =>
      new SiglipScorer({
        model: join(CASE, 'model'),
        frames: async (r) => {
          calls.push(r.video!);
          most = Math.max(most, ++inFlight);
          await new Promise((res) => setTimeout(res, 20));
          inFlight--;
          return { pixels: { data: px.data, shape: px.shape as [number, number, number, number] } };
        },
        tokenize: (texts) => texts.map((t) => idRows[Number(t)]!),
        decodeConcurrency: 3,
        keepImageEmbeds,
      });
    const batch: CaptionRecord[] = ['v1', 'v2', 'v3', 'v4', 'v5', 'v1'].map((v, i) => ({
      id: `c${i}`,
      video: `${v}.mp4`,
      prediction: String(i % 2),
      reference: '',
    }));
    const s = make(true);
    await s.init();
    const first = await s.scoreBatch(batch);
    expect(calls).toEqual(['v1.mp4', 'v2.mp4', 'v3.mp4', 'v4.mp4', 'v5.mp4']);
    expect(most).toBe(3);
    // every video has the reference frames: each caption's score is the reference one for its text row
    expect(Math.abs(first[0]!.siglip! - get('score_text0').data[0]!)).toBeLessThan(1e-5);
    // a later evaluation (init again, as a run's next epoch does) decodes nothing and scores the same
    await s.init();
    const before = tf.memory().numTensors;
    expect(await s.scoreBatch(batch)).toEqual(first);
    expect(calls.length).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    s.dispose();
    // without keeping, the second evaluation fetches them again
    const t = make(false);
    await t.init();
    await t.scoreBatch(batch);
    await t.scoreBatch(batch);
    expect(calls.length).toBe(15);
    t.dispose();
  });
});
