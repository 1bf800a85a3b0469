/**
 * `kvc cache --data DIR [--split train,val] [--shard I/N|auto] [--preset P | --config F] [key=value ...] [--json]`:
 * decodes every video of the given splits, encodes its frames with the run's vision tower and
 * stores the features in the LMDB cache that `kvc train` and `kvc eval` read (same recipe, same
 * keys). Entries already there are hits and cost nothing; undecodable videos and bad labels are
 * reported and skipped. `kvc cache-stats --cache DIR` shows what the cache holds afterwards.
 * With `--shard I/N` only the videos whose key hashes to shard I are cached, into
 * `<cacheDir>.shard-I-of-N` (docs/scale-out.md); `kvc cache merge` (cache-merge.ts) joins the shards.
 */
import { BACKEND_FLAG } from '../config/backend-flag.js';
import { PRECISION_FLAG, initRunBackend, modelFlagOverrides } from '../config/precision-flag.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseShard, shardCacheDir, shardOfKey, writeShardManifest } from '@kvc/feature-cache';
import type { CacheShard } from '@kvc/feature-cache';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';
import { loadRunConfig } from '../config/load-config.js';
import { cacheSplitFeatures, type CacheTiming } from '../pipeline/cache-split-features.js';
import { readSplit } from '../pipeline/read-split.js';
import { loadVisionEncoder } from '../pipeline/vision-encoder.js';
import { cacheDirs, openFeatureCache } from '../pipeline/open-feature-cache.js';
import { registerCacheMerge } from './cache-merge.js';

interface CacheOptions {
  data?: string;
  split: string;
  shard?: string;
  preset?: string;
  config?: string;
  json?: boolean;
  backend?: string;
  precision?: string;
}

export interface SplitCacheSummary {
  readonly split: string;
  readonly samples: number;
  readonly hits: number;
  readonly encoded: number;
  /** Bad labels (reader) + undecodable videos (decoder). */
  readonly skipped: number;
  readonly skips: readonly { id: string; file: string; reason: string }[];
  /** Where the time went (cache-split-features.ts); absent in summaries made elsewhere. */
  readonly timing?: CacheTiming;
}

/** One line on the split's speed and which stage was busy, or undefined when nothing was encoded. */
export function formatCacheTiming(encoded: number, t: CacheTiming): string | undefined {
  if (encoded === 0 || !(t.wallMs > 0)) return undefined;
  const pct = (x: number) => `${Math.round(100 * Math.min(1, x))}%`;
  const rate = (encoded / (t.wallMs / 1000)).toFixed(2);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const split =
    t.encodeHostMs === undefined || t.encodeWaitMs === undefined
      ? ''
      : ` (host ${s(t.encodeHostMs)}, waiting for the features ${s(t.encodeWaitMs)})`;
  return (
    `${(t.wallMs / 1000).toFixed(1)} s, ${rate} videos/s; encoder busy ${pct(t.encodeMs / t.wallMs)} of it${split}, ` +
    `decoders ${pct(t.decodeMs / (t.wallMs * t.decodeSlots))} (${t.decodeSlots} at once, ${t.decodeIn === 'workers' ? 'in worker threads' : 'in the main thread'})`
  );
}

/** The human-readable summary. */
export function formatCacheSummary(
  cacheDir: string,
  splits: readonly SplitCacheSummary[],
  entries: number,
  shard?: CacheShard,
): string {
  const of = shard ? `, shard ${shard.index} of ${shard.count}` : '';
  const lines = [`feature cache ${cacheDir} (${entries} entries${of})`];
  for (const s of splits) {
    lines.push(
      `  ${s.split.padEnd(8)} ${s.samples} samples: ${s.hits} cached already, ${s.encoded} encoded, ${s.skipped} skipped`,
    );
    const timing = s.timing && formatCacheTiming(s.encoded, s.timing);
    if (timing) lines.push(`           ${timing}`);
  }
  for (const s of splits) for (const k of s.skips) lines.push(`  skipped ${s.split}/${k.id}: ${k.reason}`);
  lines.push(`details: kvc cache-stats --cache ${cacheDir}`);
  return lines.join('\n');
}

export const cacheCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    const cacheCmd = program
      .command('cache')
      .description('cache the vision features of dataset splits (decode → vision tower → LMDB), as kvc train would')
      .argument('[overrides...]', 'config overrides as key=value (e.g. vision.model=DIR features.cacheDir=DIR)')
      // Checked in the action, not by commander: it would also demand it of `kvc cache merge`.
      .option('--data <path>', 'dataset: AIHub folder, <split>.jsonl manifest(s), or Hugging Face folder; required')
      .option('--split <names>', 'comma-separated splits', 'train,val')
      .option(
        '--shard <I/N|auto>',
        'cache only shard I of N (from 0) into <cacheDir>.shard-I-of-N; auto: from the scheduler',
      )
      .option('--preset <name>', 'demo | seed (which vision tower, frames, cache folder)')
      .option('--config <file>', 'a YAML or JSON config file')
      .option(...BACKEND_FLAG)
      .option(...PRECISION_FLAG)
      .option('--json', 'JSON events on stdout (the result last)')
      .action(
        runner<CacheOptions>('cache', async (out, opts, overrides) => {
          if (!opts.data)
            throw new CliError('E_BAD_ARGUMENT', '--data is required', {}, 'e.g. kvc cache --data DIR --preset demo');
          const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
          const config = loadRunConfig({
            ...(opts.preset ? { preset: opts.preset } : {}),
            ...(opts.config ? { file: opts.config } : {}),
            overrides: [...overrides, `data.root=${opts.data}`, ...modelFlagOverrides(opts)],
          });
          const splits = opts.split
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          if (!splits.length)
            throw new CliError(
              'E_BAD_ARGUMENT',
              '--split names no split',
              { split: opts.split },
              'e.g. --split train,val',
            );
          const choice = await initRunBackend(config, 'inference');
          out.info(`backend ${choice.backend} (${choice.reason})`);
          const root = resolve(opts.data);
          const cacheDir = shard ? shardCacheDir(cacheDirs(config)[0]!, shard) : cacheDirs(config)[0]!;
          const cache = await openFeatureCache(config, cacheDir);
          const keep = shard ? (key: string) => shardOfKey(key, shard.count) === shard.index : undefined;
          const summaries: SplitCacheSummary[] = [];
          let entries = 0;
          try {
            if (shard) writeShardManifest(cacheDir, shard);
            const encoder = await loadVisionEncoder(config);
            try {
              for (const split of splits) {
                const paths = { allowAbsolutePaths: config.data.allowAbsolutePaths };
                const data = await readSplit(root, split, config.data.maxSamples, out, paths);
                const r = await cacheSplitFeatures({ split, samples: data.samples, cache, encoder, config, out, keep });
                // Bad labels (reader) and undecodable videos (decoder) alike: video-io's skip events. A bad
                // label has no key, hence no shard: shard 0 reports it.
                const labelSkips = (shard?.index ?? 0) === 0 ? data.skipped : [];
                const skips = [...labelSkips, ...r.skipped].map((s) => ({
                  id: s.id,
                  file: s.file,
                  reason: `[${s.code}] ${s.reason}`,
                }));
                const summary = {
                  split,
                  samples: data.samples.length - r.elsewhere,
                  hits: r.hits,
                  encoded: r.encoded,
                  skipped: skips.length,
                  skips,
                  timing: r.timing,
                };
                summaries.push(summary);
                out.event('split', { ...summary });
              }
            } finally {
              encoder.dispose();
            }
            entries = cache.stats().entries;
          } finally {
            await cache.close();
          }
          out.result(
            { type: 'result', command: 'cache', cache: cacheDir, ...(shard && { shard }), entries, splits: summaries },
            formatCacheSummary(cacheDir, summaries, entries, shard),
          );
          return 0;
        }),
      );
    registerCacheMerge(cacheCmd, runner);
  },
};
