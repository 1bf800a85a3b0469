/**
 * Training batches pulled lazily: the token ids of every sample are small and kept, but vision
 * features are loaded only for the batch being built (a 10,000-video dataset's features are never
 * in memory at once). An async iterator, so the trainer pulls the next batch when it is ready for
 * it; `startBatch` resumes mid-epoch.
 */
import { collate, type TextBatch } from './collate.js';
import type { TrainingExample } from './build-example.js';
import { epochOrder } from './epoch-order.js';

export interface TrainSample {
  readonly id: string;
  readonly example: TrainingExample;
}

export interface FeatureTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface TrainBatch extends TextBatch {
  readonly ids: readonly string[];
  /** [batchSize, visionTokens, visionDim] flattened. */
  readonly vision: FeatureTensor;
  readonly epoch: number;
  /** Index of this batch within its epoch. */
  readonly index: number;
  readonly batchesInEpoch: number;
}

export interface BatchSourceOptions {
  readonly samples: readonly TrainSample[];
  readonly loadFeatures: (id: string) => Promise<FeatureTensor>;
  readonly batchSize: number;
  readonly padId: number;
  readonly seed: number;
  readonly epoch: number;
  readonly startBatch?: number;
  readonly shuffle?: boolean;
  readonly bucketWindow?: number;
}

export async function* batchSource(o: BatchSourceOptions): AsyncGenerator<TrainBatch> {
  const order = epochOrder({
    numSamples: o.samples.length,
    batchSize: o.batchSize,
    seed: o.seed,
    epoch: o.epoch,
    ...(o.shuffle !== undefined ? { shuffle: o.shuffle } : {}),
    ...(o.bucketWindow
      ? { bucketWindow: o.bucketWindow, lengths: o.samples.map((s) => s.example.inputIds.length) }
      : {}),
  });
  for (let i = o.startBatch ?? 0; i < order.length; i++) {
    const picked = order[i]!.map((j) => o.samples[j]!);
    const feats = await Promise.all(picked.map((s) => o.loadFeatures(s.id)));
    yield {
      ...collate(
        picked.map((s) => s.example),
        o.padId,
      ),
      ids: picked.map((s) => s.id),
      vision: stack(
        feats,
        picked.map((s) => s.id),
      ),
      epoch: o.epoch,
      index: i,
      batchesInEpoch: order.length,
    };
  }
}

function stack(feats: readonly FeatureTensor[], ids: readonly string[]): FeatureTensor {
  // The most common shape is the batch's; the samples that differ are named.
  const key = (f: FeatureTensor) => f.shape.join(',');
  const counts = new Map<string, number>();
  for (const f of feats) counts.set(key(f), (counts.get(key(f)) ?? 0) + 1);
  const major = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const odd = feats.flatMap((f, i) => (key(f) === major ? [] : [`${ids[i]} [${key(f)}]`]));
  if (odd.length) throw new RangeError(`features with another shape than the batch's [${major}]: ${odd.join(', ')}`);
  const shape = feats[0]!.shape;
  const size = feats[0]!.data.length;
  const data = new Float32Array(size * feats.length);
  feats.forEach((f, i) => data.set(f.data, i * size));
  return { shape: [feats.length, ...shape], data };
}
