/**
 * `kvc cache-stats --cache PATH [--json]`: what a feature cache holds (entries, tensor bytes,
 * float32/float16 breakdown, file size) and its hit rate over the runs that used it: one lookup per
 * sample at their feature step, as they report "N cached already" (re-reads by a trainer are not
 * lookups).
 * Opens the cache read-only, so it is safe to run while a `kvc cache` run is writing.
 */
import type { Command } from 'commander';
import { FeatureCache } from '@kvc/feature-cache';
import type { CacheStats } from '@kvc/feature-cache';
import type { ActionRunner, CommandModule } from '../command.js';

interface CacheStatsOptions {
  cache: string;
  json?: boolean;
}

const mb = (bytes: number): string =>
  bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)} GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB`
      : bytes >= 1e3
        ? `${(bytes / 1e3).toFixed(1)} kB`
        : `${bytes} B`;

/** The human-readable report (the counters are those recorded by the runs that used the cache). */
export function formatCacheStats(s: Omit<CacheStats, 'session'>): string {
  const f32 = s.byDtype.float32;
  const f16 = s.byDtype.float16;
  const l = s.lifetime;
  const lookups = l.hits + l.misses;
  const lines = [
    `feature cache ${s.path}`,
    `  entries      ${s.entries} (float32: ${f32.entries}, float16: ${f16.entries})`,
    `  tensor bytes ${mb(s.bytes)} (float32: ${mb(f32.bytes)}, float16: ${mb(f16.bytes)})`,
    `  file size    ${mb(s.fileBytes)} (data.mdb)`,
    l.hitRate === null
      ? '  hit rate     n/a (no lookups recorded yet)'
      : `  hit rate     ${(l.hitRate * 100).toFixed(1)}% of ${lookups} lookups (${l.hits} hits, ${l.misses} misses${l.invalid ? `, ${l.invalid} damaged entries recomputed` : ''}), ${l.writes} writes`,
  ];
  if (s.unreadableHeaders > 0)
    lines.push(`  warning: ${s.unreadableHeaders} entries have unreadable headers (they are recomputed when needed)`);
  return lines.join('\n');
}

export const cacheStatsCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('cache-stats')
      .description('show what a feature cache holds: entries, bytes, float32/float16 breakdown, hit rate')
      .requiredOption('--cache <path>', 'feature cache directory (holds data.mdb)')
      .option('--json', 'print one JSON line instead of text')
      .action(
        runner<CacheStatsOptions>('cache-stats', async (out, opts) => {
          // probe: a damaged cache is an error naming it, not a crash (the tree walk runs in a child process).
          const cache = await FeatureCache.open(opts.cache, { readOnly: true, probe: true });
          try {
            // This read-only open never looks anything up: its session counters are always zero, and
            // printing them (as `session.hits: 0`) read as "no hits". The counters are the runs' (lifetime).
            const { session: _session, ...stats } = cache.stats();
            out.result({ type: 'cache-stats', ...stats }, formatCacheStats(stats));
          } finally {
            await cache.close();
          }
          return 0;
        }),
      );
  },
};
