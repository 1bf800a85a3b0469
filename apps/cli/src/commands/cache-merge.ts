/**
 * `kvc cache merge OUT SHARD... [--allow-missing] [--json]`: joins shard caches (`kvc cache --shard
 * I/N`, one per machine) into the cache at OUT, entry for entry, bit for bit. Refuses shards of
 * different splits or recipes, a missing shard (unless --allow-missing) and keys whose features
 * differ between shards; damaged entries are left out and counted (they are recomputed when needed).
 */
import type { Command } from 'commander';
import { mergeCaches } from '@kvc/feature-cache';
import type { MergeReport } from '@kvc/feature-cache';
import type { ActionRunner } from '../command.js';

interface MergeOptions {
  allowMissing?: boolean;
  json?: boolean;
}

/** The human-readable report. */
export function formatMergeReport(r: MergeReport): string {
  const lines = [`merged ${r.shards.length} shards into ${r.out} (${r.entries} entries)`];
  for (const s of r.shards) {
    const which = s.shard ? `shard ${s.shard.index}/${s.shard.count} ` : '';
    const damaged = s.damaged ? `, ${s.damaged} damaged entries left out` : '';
    lines.push(`  ${which}${s.path}: ${s.entries} entries, ${s.copied} copied${damaged}`);
  }
  lines.push(`details: kvc cache-stats --cache ${r.out}`);
  return lines.join('\n');
}

/** Adds `merge` under the `cache` command. */
export function registerCacheMerge(cache: Command, runner: ActionRunner): void {
  cache
    .command('merge')
    .description('merge shard caches (kvc cache --shard I/N) into one cache, checking that they agree')
    .argument('<out>', 'the merged cache directory (created when missing; may already hold entries)')
    .argument('<shards...>', 'shard cache directories')
    .option('--allow-missing', 'merge even when the shard manifests say a shard is missing')
    .option('--json', 'print one JSON line instead of text')
    .action((...raw: unknown[]) => {
      // commander hands options after the subcommand to `cache` first when it knows them: its --json.
      const cmd = raw.at(-1) as Command;
      if (cmd.parent?.opts().json) cmd.setOptionValue('json', true);
      return merge(...raw);
    });
  const merge = runner<MergeOptions>('cache merge', async (out, opts, args) => {
    const [target, ...shards] = args;
    const r = await mergeCaches(target!, shards, { allowMissing: Boolean(opts.allowMissing) });
    out.result({ type: 'result', command: 'cache merge', ...r }, formatMergeReport(r));
    return 0;
  });
}
