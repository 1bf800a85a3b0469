import { describe, expect, it } from 'vitest';
import { IGNORE_INDEX, buildExample, tokenizeExample } from './build-example.js';
import { collate } from './collate.js';
import { epochOrder } from './epoch-order.js';
import { batchSource, type TrainSample } from './batch-source.js';
import { Rng } from './rng.js';
import { STAGE_EPOCH_STRIDE, stageDataEpoch } from './stage-data-epoch.js';

// A toy tokenizer that merges across a boundary the way BPE can: "ab" is one token when adjacent.
const toy = {
  encode(text: string): number[] {
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === 'a' && text[i + 1] === 'b') {
        out.push(1000);
        i++;
      } else out.push(text.charCodeAt(i));
    }
    return out;
  },
};

describe('buildExample (seed bug 1: EOS, segment-wise prompt, masking)', () => {
  it('appends EOS to every target and masks exactly the prompt', () => {
    const e = buildExample({ promptIds: [5, 6, 7], captionIds: [8, 9], eosId: 2, maxTextLength: 16 });
    expect(e.inputIds).toEqual([5, 6, 7, 8, 9, 2]);
    expect(e.labels).toEqual([IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 8, 9, 2]);
    expect(e.truncated).toBe(false);
  });

  it('tokenizes prompt and caption separately: no merge across the boundary', () => {
    const joint = toy.encode('xa' + 'by');
    expect(joint).toContain(1000); // the merge the seed's joint tokenization would make
    const e = tokenizeExample(toy, 'xa', 'by', 2, 16);
    expect(e.promptLength).toBe(2);
    expect(e.inputIds).not.toContain(1000);
    expect(e.labels.slice(0, 2)).toEqual([IGNORE_INDEX, IGNORE_INDEX]);
  });

  it('truncates the caption and keeps EOS last', () => {
    const e = buildExample({ promptIds: [5, 6], captionIds: [10, 11, 12, 13, 14], eosId: 2, maxTextLength: 5 });
    expect(e.inputIds).toEqual([5, 6, 10, 11, 2]);
    expect(e.labels.at(-1)).toBe(2);
    expect(e.truncated).toBe(true);
    expect(() => buildExample({ promptIds: [5, 6], captionIds: [1], eosId: 2, maxTextLength: 2 })).toThrow(/no room/);
  });
});

describe('collate', () => {
  it('masks padding by position even when the pad id equals EOS', () => {
    const eos = 2;
    const a = buildExample({ promptIds: [5], captionIds: [8, 9, 10], eosId: eos, maxTextLength: 16 });
    const b = buildExample({ promptIds: [5], captionIds: [8], eosId: eos, maxTextLength: 16 });
    const batch = collate([a, b], eos); // pad id == eos: the seed's mask-by-id would drop EOS labels
    expect(batch.seqLength).toBe(5);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    // row 1: prompt masked, 8 and EOS kept, pads masked
    expect(Array.from(batch.labels.slice(5))).toEqual([IGNORE_INDEX, 8, eos, IGNORE_INDEX, IGNORE_INDEX]);
    expect(Array.from(batch.inputIds.slice(5))).toEqual([5, 8, eos, eos, eos]);
  });
});

describe('epochOrder', () => {
  it('is a deterministic permutation per (seed, epoch) and differs across epochs', () => {
    const a = epochOrder({ numSamples: 10, batchSize: 3, seed: 42, epoch: 0 });
    const b = epochOrder({ numSamples: 10, batchSize: 3, seed: 42, epoch: 0 });
    const c = epochOrder({ numSamples: 10, batchSize: 3, seed: 42, epoch: 1 });
    expect(a).toEqual(b);
    expect(a.flat().sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    expect(a.map((x) => x.length)).toEqual([3, 3, 3, 1]);
    expect(c).not.toEqual(a);
    expect(epochOrder({ numSamples: 10, batchSize: 3, seed: 42, epoch: 0, dropLast: true })).toHaveLength(3);
    expect(epochOrder({ numSamples: 4, batchSize: 2, seed: 1, epoch: 0, shuffle: false })).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('length bucketing groups similar lengths and still covers every sample', () => {
    const lengths = Array.from({ length: 40 }, (_, i) => (i * 37) % 40);
    const batches = epochOrder({ numSamples: 40, batchSize: 4, seed: 3, epoch: 0, lengths, bucketWindow: 10 });
    expect(batches.flat().sort((x, y) => x - y)).toEqual([...Array(40).keys()]);
    const spread = (bs: number[][]) =>
      bs.reduce((s, b) => s + Math.max(...b.map((i) => lengths[i]!)) - Math.min(...b.map((i) => lengths[i]!)), 0);
    expect(spread(batches)).toBeLessThan(spread(epochOrder({ numSamples: 40, batchSize: 4, seed: 3, epoch: 0 })));
  });
});

describe('batchSource', () => {
  const samples: TrainSample[] = Array.from({ length: 7 }, (_, i) => ({
    id: `v${i}`,
    example: buildExample({ promptIds: [5], captionIds: Array(i + 1).fill(9), eosId: 2, maxTextLength: 32 }),
  }));

  it('loads features lazily, one batch at a time, and resumes at a batch index with the same order', async () => {
    const loaded: string[] = [];
    const loadFeatures = async (id: string) => {
      loaded.push(id);
      return { shape: [2, 3], data: new Float32Array(6).fill(Number(id.slice(1))) };
    };
    const opts = { samples, loadFeatures, batchSize: 3, padId: 0, seed: 7, epoch: 2 };
    const it1 = batchSource(opts);
    const first = await it1.next();
    expect(loaded).toHaveLength(3); // only the first batch's features
    expect(first.value!.vision.shape).toEqual([3, 2, 3]);
    expect(Array.from(first.value!.vision.data.slice(0, 6))).toEqual(
      Array(6).fill(Number(first.value!.ids[0]!.slice(1))),
    );
    const all = [first.value!, ...(await collectRest(it1))];
    const resumed = await collectRest(batchSource({ ...opts, startBatch: 1 }));
    expect(resumed.map((b) => b.ids)).toEqual(all.slice(1).map((b) => b.ids));
    expect(all.map((b) => b.index)).toEqual([0, 1, 2]);
  });

  it('names the sample whose features have another shape', async () => {
    const loadFeatures = async (id: string) => ({
      shape: id === 'v3' ? [3, 3] : [2, 3],
      data: new Float32Array(id === 'v3' ? 9 : 6),
    });
    await expect(
      collectRest(batchSource({ samples, loadFeatures, batchSize: 7, padId: 0, seed: 1, epoch: 0 })),
    ).rejects.toThrow(/v3/);
  });
});

describe('Rng', () => {
  it('continues identically from a saved state', () => {
    const r = new Rng(123);
    r.next();
    const saved = r.state;
    const a = [r.next(), r.next()];
    const s = Rng.fromState(saved);
    expect([s.next(), s.next()]).toEqual(a);
  });
});

async function collectRest<T>(it: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('stageDataEpoch', () => {
  it('keeps stage 1 on the plain epoch numbers and gives stage 2 orders of its own', () => {
    expect([0, 1, 2].map((e) => stageDataEpoch(0, e))).toEqual([0, 1, 2]);
    expect(stageDataEpoch(1, 2)).toBe(STAGE_EPOCH_STRIDE + 2);
    const order = (stage: number, epoch: number) =>
      epochOrder({ numSamples: 12, batchSize: 1, seed: 42, epoch: stageDataEpoch(stage, epoch) });
    for (const e of [0, 1, 2]) expect(order(1, e)).not.toEqual(order(0, e));
  });

  it('refuses an epoch that would run into the next stage', () => {
    expect(() => stageDataEpoch(0, STAGE_EPOCH_STRIDE)).toThrow(RangeError);
    expect(() => stageDataEpoch(-1, 0)).toThrow(RangeError);
  });
});
