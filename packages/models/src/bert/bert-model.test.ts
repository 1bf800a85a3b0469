import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomModel } from '../testing/write-random-model.js';
import { EncoderTokenizer } from '../processors/encoder-tokenizer.js';
import { parseBertConfig } from './bert-config.js';
import { bertEncodeTexts, bertTokenize, encodedBatchTensors } from './bert-encode.js';
import { BertModel, bertShapes } from './bert-model.js';

const BERTSCORE = fileURLToPath(new URL('../../../../test/fixtures/reference/bertscore/', import.meta.url));
// Unlike the fixture: 5 heads of 4, 3 layers.
const RAW = {
  model_type: 'bert',
  vocab_size: 50,
  hidden_size: 20,
  num_attention_heads: 5,
  num_hidden_layers: 3,
  intermediate_size: 36,
  max_position_embeddings: 16,
  type_vocab_size: 2,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
};
const CFG = parseBertConfig(RAW);
let root: string;
let model: BertModel;

async function rows(t: tf.Tensor3D, b: number, len: number): Promise<Float32Array> {
  const s = tf.slice(t, [b, 0, 0], [1, len, -1]);
  const d = (await s.data()) as Float32Array;
  s.dispose();
  return d;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'kvc-bert-'));
  await writeRandomModel(join(root, 'plain'), RAW, bertShapes(CFG), 3);
  model = await BertModel.load(join(root, 'plain'));
});

afterAll(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('BertModel on a random config', () => {
  const seqs = [
    [2, 7, 9, 11, 13, 3],
    [2, 5, 3],
    [2, 40, 41, 3],
  ];
  const padded = seqs.map((s) => [...s, ...new Array<number>(6 - s.length).fill(0)]);
  const mask = seqs.map((s) => [...s.map(() => 1), ...new Array<number>(6 - s.length).fill(0)]);

  it('encodes a padded batch with its mask exactly as each text alone', async () => {
    const enc = encodedBatchTensors({ inputIds: padded, attentionMask: mask });
    const all = model.allHiddenStates(enc);
    expect(all.map((t) => t.shape)).toEqual(new Array(4).fill([3, 6, 20]));
    for (let b = 0; b < 3; b++) {
      const ids = tf.tensor2d([seqs[b]!], [1, seqs[b]!.length], 'int32');
      const alone = model.hiddenState({ inputIds: ids }, -1);
      const got = await rows(all[3]!, b, seqs[b]!.length);
      const want = (await alone.data()) as Float32Array;
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
      expect(d).toBeLessThan(1e-5);
      tf.dispose([ids, alone]);
    }
    tf.dispose([enc.inputIds, enc.attentionMask, ...all]);
  });

  it('without the mask the padded rows change (the mask is what makes the batch invariant)', async () => {
    const ids = tf.tensor2d(padded, [3, 6], 'int32');
    const withMask = encodedBatchTensors({ inputIds: padded, attentionMask: mask });
    const a = model.hiddenState({ inputIds: ids }, 2);
    const b = model.hiddenState(withMask, 2);
    const d = tf.tidy(() =>
      tf.max(tf.abs(tf.sub(tf.slice(a, [1, 0, 0], [1, 3, -1]), tf.slice(b, [1, 0, 0], [1, 3, -1])))),
    );
    expect((await d.data())[0]).toBeGreaterThan(1e-3);
    tf.dispose([ids, withMask.inputIds, withMask.attentionMask, a, b, d]);
  });

  it('keeps tf memory flat over repeated batches', () => {
    const enc = encodedBatchTensors({ inputIds: padded, attentionMask: mask });
    const run = () => tf.dispose([...model.allHiddenStates(enc), model.hiddenState(enc, 1)]);
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([enc.inputIds, enc.attentionMask]);
  });

  it('reads BertFor* checkpoints: bert. prefix, TF-era LayerNorm gamma/beta, task heads ignored', async () => {
    const legacy = new Map(
      [...bertShapes(CFG)].map(
        ([n, s]) =>
          [
            `bert.${n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`,
            s,
          ] as [string, number[]],
      ),
    );
    legacy.set('cls.predictions.bias', [50]);
    legacy.set('bert.pooler.dense.weight', [20, 20]);
    await writeRandomModel(join(root, 'legacy'), RAW, legacy, 3);
    const m = await BertModel.load(join(root, 'legacy'));
    const enc = encodedBatchTensors({ inputIds: padded, attentionMask: mask });
    const [a, b] = [m.hiddenState(enc, -1), model.hiddenState(enc, -1)];
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
    expect((await d.data())[0]).toBe(0);
    tf.dispose([a, b, d, enc.inputIds, enc.attentionMask]);
    m.dispose();
  });
});

describe('BERT WordPiece tokenizer (transformers.js, cased)', () => {
  it('gives the ids bert_score used for the BERTScore reference pairs', async () => {
    const ref = JSON.parse(await readFile(join(BERTSCORE, 'bertscore_reference.json'), 'utf8')) as {
      cases: { candidate: string; candidate_ids: number[]; reference: string; reference_ids: number[] }[];
    };
    const tok = await EncoderTokenizer.load(join(BERTSCORE, 'model'));
    const cands = ref.cases.map((c) => c.candidate);
    const enc = bertTokenize(tok, cands);
    ref.cases.forEach((c, i) => {
      const n = c.candidate_ids.length;
      expect(enc.inputIds[i]!.slice(0, n)).toEqual(c.candidate_ids);
      expect(enc.attentionMask[i]!.slice(0, n).every((x) => x === 1)).toBe(true);
      expect(enc.attentionMask[i]!.slice(n).every((x) => x === 0)).toBe(true);
      expect(enc.inputIds[i]!.slice(n).every((x) => x === tok.padTokenId)).toBe(true);
    });
    expect(
      bertTokenize(
        tok,
        ref.cases.map((c) => c.reference),
      ).inputIds.map((r, i) => r.slice(0, ref.cases[i]!.reference_ids.length)),
    ).toEqual(ref.cases.map((c) => c.reference_ids));
  });

  it('truncates keeping [CLS] and [SEP], and encodes through the BERTScore model', async () => {
    const tok = await EncoderTokenizer.load(join(BERTSCORE, 'model'));
    const text = '영상은 맑고 화창한 날씨 속에서 한 건물의 외관을 담고 있습니다.';
    const full = tok.encodeOne(text);
    const cut = bertTokenize(tok, [text], 5).inputIds[0]!;
    expect(cut).toEqual([...full.slice(0, 4), full[full.length - 1]!]);
    const m = await BertModel.load(join(BERTSCORE, 'model'));
    const { hidden, batch } = bertEncodeTexts(m, tok, [text, '한 남자'], 3);
    expect(hidden.shape).toEqual([2, batch.inputIds[0]!.length, m.config.hiddenSize]);
    hidden.dispose();
    m.dispose();
  });
});
