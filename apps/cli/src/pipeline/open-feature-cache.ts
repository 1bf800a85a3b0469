/**
 * openFeatureCache: the run's feature cache. `features.cacheDir` is one directory or a list (shards
 * from `kvc cache --shard`, or a shared read-only cache before a local one): keys are looked up in
 * the listed order, and new features are written to the first. Every cache is checked before it
 * is mapped, its trees walked in a child process, so a damaged one is an E_CACHE_DAMAGED error.
 */
import { resolve } from 'node:path';
import { FeatureCache } from '@kvc/feature-cache';
import type { RunConfig } from '../config/run-config.js';

/** The configured cache directories, absolute, in lookup order (the first is written). */
export function cacheDirs(config: RunConfig): string[] {
  const d = config.features.cacheDir;
  return (typeof d === 'string' ? [d] : d).map((p) => resolve(p));
}

/** Opens the run's cache (the first directory, or `writeDir` instead of it) reading through the rest. */
export function openFeatureCache(config: RunConfig, writeDir?: string): Promise<FeatureCache> {
  const [first, ...rest] = cacheDirs(config);
  return FeatureCache.open(writeDir ?? first!, { probe: true, readThrough: rest });
}
