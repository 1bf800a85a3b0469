/** One sample's cached features, or a clear error if the entry vanished or failed its checks. */
import type { FeatureCache } from '@kvc/feature-cache';
import type { FeatureTensor } from '@kvc/train';
import { CliError } from '../cli-error.js';
import type { RunConfig } from '../config/run-config.js';
import { featureView } from './motion-tokens.js';

/**
 * With `config`, as the projector sees them (e.g. with motion tokens appended). A re-read of an entry
 * the feature step already looked up (and counted): not counted again, so the cache's hit rate
 * says what `kvc cache`/`kvc train` report as "cached already", not how often the trainer read.
 */
export function featuresOf(cache: FeatureCache, key: string, id: string, config?: RunConfig): FeatureTensor {
  const t = cache.read(key);
  if (!t) {
    throw new CliError(
      'E_FEATURES_MISSING',
      `features of ${id} are not in the cache (removed, or failed an integrity check)`,
      { id, key, cache: cache.path },
      'run the command again: missing features are recomputed',
    );
  }
  const raw = { shape: t.shape, data: t.data };
  return config ? featureView(config)(raw) : raw;
}
