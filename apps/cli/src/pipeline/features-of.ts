/** One sample's cached features, or a clear error if the entry vanished or failed its checks. */
import type { FeatureCache } from '@kvc/feature-cache';
import type { FeatureTensor } from '@kvc/train';
import { CliError } from '../cli-error.js';

export function featuresOf(cache: FeatureCache, key: string, id: string): FeatureTensor {
  const t = cache.get(key);
  if (!t) {
    throw new CliError('E_FEATURES_MISSING', `features of ${id} are not in the cache (removed, or failed an integrity check)`, { id, key, cache: cache.path }, 'run the command again: missing features are recomputed');
  }
  return { shape: t.shape, data: t.data };
}
