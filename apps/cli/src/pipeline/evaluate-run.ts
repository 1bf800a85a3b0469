/**
 * `kvc eval` as a function: a trained run's checkpoint captions one split from cached vision
 * features (missing ones are decoded, encoded and cached first, undecodable videos reported and
 * skipped), and the captions are scored with the run's metrics. Writes
 * `<run>/eval/<checkpoint>-<split>/predictions.jsonl` + `metrics.json`.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FeatureCache } from '@kvc/feature-cache';
import { initBackend } from '@kvc/models';
import { CliError } from '../cli-error.js';
import type { Output } from '../output.js';
import { cacheSplitFeatures } from './cache-split-features.js';
import { featuresOf } from './features-of.js';
import { generateCaptions } from './generate-captions.js';
import { readSplit } from './read-split.js';
import { loadRunModels } from './run-models.js';
import { scoreCaptions } from './score-captions.js';
import type { TrainedRun } from './trained-run.js';
import { loadVisionEncoder } from './vision-encoder.js';

export interface EvaluateRunResult {
  readonly checkpoint: string;
  readonly split: string;
  readonly dir: string;
  readonly metrics: Record<string, number>;
  readonly files: { predictions: string; metrics: string };
  /** Samples left out (bad labels, undecodable videos). */
  readonly skipped: number;
}

export async function evaluateRun(run: TrainedRun, split: string, out: Output): Promise<EvaluateRunResult> {
  const { config } = run;
  const choice = await initBackend(config.backend, { purpose: 'inference' });
  out.info(`backend ${choice.backend} (${choice.reason})`);
  out.event('backend', { ...choice });
  const root = resolve(config.data.root);
  const data = await readSplit(root, split, config.eval.maxSamples || config.data.maxSamples, out);
  if (data.samples.length === 0) {
    throw new CliError('E_NO_EVAL_DATA', `no usable samples in ${root}/${split}`, { root, split }, 'check the split name (--split) and data.root (override with data.root=DIR); `kvc check-data` tells why samples are skipped');
  }
  const cache = await FeatureCache.open(resolve(config.features.cacheDir));
  try {
    const encoder = await loadVisionEncoder(config);
    const cached = await (async () => {
      try {
        return await cacheSplitFeatures({ split, samples: data.samples, cache, encoder, config, out });
      } finally {
        encoder.dispose();
      }
    })();
    out.event('features', { [split]: { hits: cached.hits, encoded: cached.encoded, skipped: cached.skipped.length } });
    const firstKey = cached.keys.values().next().value as string | undefined;
    if (!firstKey) throw new CliError('E_NO_EVAL_DATA', `no video of ${root}/${split} could be decoded`, { root, split }, 'run `kvc check-data --data DIR` to see why');
    const visionDim = featuresOf(cache, firstKey, 'first sample', config).shape[1]!;
    const models = await loadRunModels(config, visionDim, out, run.checkpoint.dir);
    try {
      const records = await generateCaptions({ samples: data.samples, keys: cached.keys, cache, models, config, out, label: `captions ${run.checkpoint.name} ${split}` });
      const dir = join(run.runDir, 'eval', `${run.checkpoint.name}-${split}`);
      await mkdir(dir, { recursive: true });
      const scored = await scoreCaptions({ records, config, dir, out, dataRoot: join(root, split) });
      return { checkpoint: run.checkpoint.name, split, dir, metrics: scored.metrics, files: scored.files, skipped: data.skipped.length + cached.skipped.length };
    } finally {
      models.dispose();
    }
  } finally {
    await cache.close();
  }
}
