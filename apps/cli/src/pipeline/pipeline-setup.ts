/**
 * The start that `kvc train` and `kvc eval` share: pick the backend, read the splits (every
 * skipped sample reported), make sure each usable video's vision features are in the LMDB cache
 * (the vision encoder is loaded only for that, and disposed), and read the feature width the
 * projector needs from the first cached sample. The cache stays open for `body` and is closed
 * after it, whatever happens.
 */
import { resolve } from 'node:path';
import type { FeatureCache } from '@kvc/feature-cache';
import type { SampleEvent } from '@kvc/video-io';
import { CliError, type CliErrorCode } from '../cli-error.js';
import { initRunBackend } from '../config/precision-flag.js';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';
import { cacheSplitFeatures, type CachedSplit } from './cache-split-features.js';
import { featuresOf } from './features-of.js';
import { openFeatureCache } from './open-feature-cache.js';
import { readSplit } from './read-split.js';
import { loadVisionEncoder } from './vision-encoder.js';

/** A split to prepare; `role` names it in the `features` event (`train`, `val`, or the split). */
export interface SplitRequest {
  readonly role: string;
  readonly split: string;
  /** At most this many samples (0 = all). */
  readonly maxSamples: number;
}

/** A split with its usable samples and their cached features. */
export interface ReadySplit extends CachedSplit {
  readonly role: string;
  readonly split: string;
  readonly samples: readonly SampleEvent[];
  /** Samples left out for their labels (bad JSON, no caption); undecodable videos are in `skipped`. */
  readonly labelSkips: number;
}

export interface PipelineSetup {
  readonly root: string;
  readonly cache: FeatureCache;
  readonly splits: readonly ReadySplit[];
  /** Width of one vision token as the projector sees it. */
  readonly visionDim: number;
}

export interface PipelineSetupOptions {
  readonly config: RunConfig;
  readonly out: Output;
  readonly purpose: 'training' | 'inference';
  /** The first split must have a usable, decodable sample. */
  readonly splits: readonly SplitRequest[];
  /** Error code when it has none (`E_NO_TRAIN_DATA`, `E_NO_EVAL_DATA`). */
  readonly noDataCode: Extract<CliErrorCode, 'E_NO_TRAIN_DATA' | 'E_NO_EVAL_DATA'>;
}

export async function withPipelineSetup<T>(
  o: PipelineSetupOptions,
  body: (setup: PipelineSetup) => Promise<T>,
): Promise<T> {
  const { config, out } = o;
  const choice = await initRunBackend(config, o.purpose);
  out.info(`backend ${choice.backend} (${choice.reason})`);
  out.event('backend', { ...choice });
  const root = resolve(config.data.root);
  const read = [];
  const paths = { allowAbsolutePaths: config.data.allowAbsolutePaths };
  for (const r of o.splits) read.push(await readSplit(root, r.split, r.maxSamples, out, paths));
  const first = o.splits[0]!.split;
  if (read[0]!.samples.length === 0) {
    const hint =
      'check the split name and data.root (override with data.root=DIR); ' +
      '`kvc check-data` tells why samples are skipped';
    throw new CliError(o.noDataCode, `no usable samples in ${root}/${first}`, { root, split: first }, hint);
  }
  const cache = await openFeatureCache(config);
  try {
    const encoder = await loadVisionEncoder(config);
    const splits: ReadySplit[] = [];
    try {
      for (const [i, r] of o.splits.entries()) {
        const { samples, skipped } = read[i]!;
        const cached = await cacheSplitFeatures({ split: r.split, samples, cache, encoder, config, out });
        splits.push({ ...cached, role: r.role, split: r.split, samples, labelSkips: skipped.length });
      }
    } finally {
      encoder.dispose();
    }
    const stats = splits.map((s) => [s.role, { hits: s.hits, encoded: s.encoded, skipped: s.skipped.length }]);
    out.event('features', Object.fromEntries(stats) as Record<string, unknown>);
    const firstKey = splits[0]!.keys.values().next().value as string | undefined;
    if (!firstKey) {
      const hint = 'run `kvc check-data --data DIR` to see why';
      throw new CliError(o.noDataCode, `no video of ${root}/${first} could be decoded`, { root, split: first }, hint);
    }
    const visionDim = featuresOf(cache, firstKey, 'first sample', config).shape[1]!;
    return await body({ root, cache, splits, visionDim });
  } finally {
    await cache.close();
  }
}
