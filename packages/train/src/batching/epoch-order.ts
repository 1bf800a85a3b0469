/**
 * The order of one epoch as a list of batches of sample indices: a seeded shuffle that depends only
 * on (seed, epoch), so resuming mid-epoch recomputes the same order and skips the batches done.
 * Optional length bucketing sorts samples by length inside windows of `bucketWindow` batches (less
 * padding), then shuffles the batches.
 */
import { Rng, epochSeed, shuffleInPlace } from './rng.js';

export interface EpochOrderOptions {
  readonly numSamples: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly epoch: number;
  readonly shuffle?: boolean;
  /** Token lengths per sample; when given with bucketWindow > 1, batches hold similar lengths. */
  readonly lengths?: readonly number[];
  readonly bucketWindow?: number;
  /** Drop a last batch smaller than batchSize (default false: the seed's DataLoader kept it). */
  readonly dropLast?: boolean;
}

export function epochOrder(o: EpochOrderOptions): number[][] {
  if (o.batchSize < 1) throw new RangeError('batchSize must be >= 1');
  const rng = new Rng(epochSeed(o.seed, o.epoch));
  const idx = Array.from({ length: o.numSamples }, (_, i) => i);
  if (o.shuffle !== false) shuffleInPlace(idx, rng);
  const window = o.bucketWindow ?? 1;
  if (o.lengths && window > 1) {
    const span = window * o.batchSize;
    for (let s = 0; s < idx.length; s += span) {
      const part = idx.slice(s, s + span).sort((a, b) => o.lengths![a]! - o.lengths![b]! || a - b);
      idx.splice(s, part.length, ...part);
    }
  }
  const batches: number[][] = [];
  for (let s = 0; s < idx.length; s += o.batchSize) {
    const b = idx.slice(s, s + o.batchSize);
    if (b.length < o.batchSize && o.dropLast) break;
    batches.push(b);
  }
  if (o.lengths && window > 1 && o.shuffle !== false) shuffleInPlace(batches, rng);
  return batches;
}
