/**
 * `kvc cache --data DIR [--split train,val] [--preset P | --config F] [key=value ...] [--json]`:
 * decodes every video of the given splits, encodes its frames with the run's vision tower and
 * stores the features in the LMDB cache that `kvc train` and `kvc eval` read (same recipe, same
 * keys). Entries already there are hits and cost nothing; undecodable videos and bad labels are
 * reported and skipped. `kvc cache-stats --cache DIR` shows what the cache holds afterwards.
 */
import { BACKEND_FLAG } from '../config/backend-flag.js';
import { PRECISION_FLAG, initRunBackend, modelFlagOverrides } from '../config/precision-flag.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FeatureCache } from '@kvc/feature-cache';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';
import { loadRunConfig } from '../config/load-config.js';
import { cacheSplitFeatures } from '../pipeline/cache-split-features.js';
import { readSplit } from '../pipeline/read-split.js';
import { loadVisionEncoder } from '../pipeline/vision-encoder.js';

interface CacheOptions {
  data: string;
  split: string;
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
}

/** The human-readable summary. */
export function formatCacheSummary(cacheDir: string, splits: readonly SplitCacheSummary[], entries: number): string {
  const lines = [`feature cache ${cacheDir} (${entries} entries)`];
  for (const s of splits)
    lines.push(
      `  ${s.split.padEnd(8)} ${s.samples} samples: ${s.hits} cached already, ${s.encoded} encoded, ${s.skipped} skipped`,
    );
  for (const s of splits) for (const k of s.skips) lines.push(`  skipped ${s.split}/${k.id}: ${k.reason}`);
  lines.push(`details: kvc cache-stats --cache ${cacheDir}`);
  return lines.join('\n');
}

export const cacheCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('cache')
      .description('cache the vision features of dataset splits (decode → vision tower → LMDB), as kvc train would')
      .argument('[overrides...]', 'config overrides as key=value (e.g. vision.model=DIR features.cacheDir=DIR)')
      .requiredOption('--data <dir>', 'dataset root (AIHub layout: <split>/labels, <split>/videos)')
      .option('--split <names>', 'comma-separated splits', 'train,val')
      .option('--preset <name>', 'demo | seed (which vision tower, frames, cache folder)')
      .option('--config <file>', 'a YAML or JSON config file')
      .option(...BACKEND_FLAG)
      .option(...PRECISION_FLAG)
      .option('--json', 'JSON events on stdout (the result last)')
      .action(
        runner<CacheOptions>('cache', async (out, opts, overrides) => {
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
          const cacheDir = resolve(config.features.cacheDir);
          const cache = await FeatureCache.open(cacheDir);
          const summaries: SplitCacheSummary[] = [];
          let entries = 0;
          try {
            const encoder = await loadVisionEncoder(config);
            try {
              for (const split of splits) {
                const data = await readSplit(root, split, config.data.maxSamples, out);
                const r = await cacheSplitFeatures({ split, samples: data.samples, cache, encoder, config, out });
                // Bad labels (reader) and undecodable videos (decoder) alike: video-io's skip events.
                const skips = [...data.skipped, ...r.skipped].map((s) => ({
                  id: s.id,
                  file: s.file,
                  reason: `[${s.code}] ${s.reason}`,
                }));
                const summary = {
                  split,
                  samples: data.samples.length,
                  hits: r.hits,
                  encoded: r.encoded,
                  skipped: skips.length,
                  skips,
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
            { type: 'result', command: 'cache', cache: cacheDir, entries, splits: summaries },
            formatCacheSummary(cacheDir, summaries, entries),
          );
          return 0;
        }),
      );
  },
};
