/** What `cacheFeatures` emits for each input item, in input order. */
import type { FeatureTensor } from '../feature-cache.js';

/** A usable output: the item, its key and features (as stored: f16 rounding applied), and where they came from. */
export interface CachedFeatures<T> {
  readonly item: T;
  readonly key: string;
  readonly features: FeatureTensor;
  readonly source: 'cache' | 'encoded';
}

/** An item whose `decode` failed: `error` says why. */
export interface SkippedItem<T> {
  readonly item: T;
  readonly key: string;
  readonly source: 'skipped';
  readonly error: unknown;
}

export type FeatureResult<T> = CachedFeatures<T> | SkippedItem<T>;
