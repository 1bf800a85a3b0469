/**
 * mergeCaches: shard caches (from `kvc cache --shard I/N` on several machines) into one cache.
 * Entries are copied as stored, bit for bit, after their integrity check. Refused, before anything
 * is written: shards recorded with different shard counts, or with a shard missing, and shards
 * whose entries were computed with different feature recipes (another vision model, layer, frame
 * count, dtype...: their features would mix in one training set). Refused while copying: a key
 * present in two shards (or already in the output) with different tensor bytes.
 */
import { resolve } from 'node:path';
import { canonicalJson } from './canonical-json.js';
import { checkEntry } from './entry-codec.js';
import { FeatureCacheError } from './errors.js';
import { FeatureCache, type RawEntry } from './feature-cache.js';
import { readShardManifest, type ShardManifest } from './shard-manifest.js';

export interface MergeOptions {
  /** Merge even when shard manifests say a shard is missing. Default false. */
  readonly allowMissing?: boolean;
}

export interface MergedShard {
  readonly path: string;
  readonly shard?: ShardManifest;
  /** Valid entries in the shard. */
  readonly entries: number;
  /** Entries written to the output (the others were there already, identical). */
  readonly copied: number;
  /** Entries failing their integrity check: not copied (recomputed when needed). */
  readonly damaged: number;
}

export interface MergeReport {
  readonly out: string;
  readonly shards: readonly MergedShard[];
  /** Valid entries in the output afterwards. */
  readonly entries: number;
}

/** Copies batches of about this many bytes per transaction (one seed-size f16 entry is 9.4 MB). */
const BATCH_BYTES = 256 << 20;

const mergeError = (code: string, message: string, context: Record<string, unknown>, hint: string) =>
  new FeatureCacheError(code, message, context, hint);

/** Merges the caches at `shardPaths` into the cache at `outPath` (created when missing). */
export async function mergeCaches(
  outPath: string,
  shardPaths: readonly string[],
  options: MergeOptions = {},
): Promise<MergeReport> {
  const out = resolve(outPath);
  const paths = shardPaths.map((p) => resolve(p));
  checkPaths(out, paths);
  const manifests = paths.map((p) => readShardManifest(p));
  checkManifests(paths, manifests, options.allowMissing ?? false);
  const shards: FeatureCache[] = [];
  try {
    for (const p of paths) shards.push(await FeatureCache.open(p, { readOnly: true, probe: true }));
    const target = await FeatureCache.open(out, { probe: true });
    try {
      checkRecipes([...shards, target]);
      const report: MergedShard[] = [];
      const from = new Map<string, string>();
      for (const [i, shard] of shards.entries()) report.push(await copyShard(shard, target, from, manifests[i]));
      return { out, shards: report, entries: target.stats().entries };
    } finally {
      await target.close();
    }
  } finally {
    for (const s of shards) await s.close();
  }
}

function checkPaths(out: string, paths: readonly string[]): void {
  const hint = 'usage: kvc cache merge OUT SHARD... (OUT is a new or existing cache, each SHARD another one)';
  if (paths.length === 0) throw mergeError('E_MERGE_ARGS', 'no shard to merge', {}, hint);
  const seen = new Set<string>();
  for (const p of paths) {
    if (p === out) throw mergeError('E_MERGE_ARGS', `the output ${out} is also a shard`, { path: p }, hint);
    if (seen.has(p)) throw mergeError('E_MERGE_ARGS', `shard ${p} is given twice`, { path: p }, hint);
    seen.add(p);
  }
}

function checkManifests(paths: readonly string[], m: readonly (ShardManifest | undefined)[], allowMissing: boolean) {
  const known = m.flatMap((x, i) => (x ? [{ ...x, path: paths[i]! }] : []));
  if (known.length === 0) return; // caches built without --shard: nothing recorded to check
  const count = known[0]!.count;
  const odd = known.find((k) => k.count !== count);
  if (odd)
    throw mergeError(
      'E_MERGE_MISMATCH',
      `the shards come from different splits: ${known[0]!.path} is one of ${count}, ${odd.path} one of ${odd.count}`,
      { count, other: odd.count },
      'merge the shards of one `kvc cache --shard I/N` run (the same N)',
    );
  const have = new Set(known.map((k) => k.index));
  const missing = [...Array(count).keys()].filter((i) => !have.has(i));
  if (missing.length > 0 && !allowMissing)
    throw mergeError(
      'E_SHARDS_INCOMPLETE',
      `shards ${missing.join(', ')} of ${count} are missing`,
      { missing, count },
      `run \`kvc cache --shard I/${count}\` for them and merge again (or pass --allow-missing to merge what is there)`,
    );
}

/** Every cache's entries must share one set of recipes (empty caches agree with anything). */
function checkRecipes(caches: readonly FeatureCache[]): void {
  let first: { path: string; recipes: string } | undefined;
  for (const c of caches) {
    const set = new Set<string>();
    for (const k of c.keys()) {
      const e = c.check(k);
      const recipe = e.ok ? (e.header.meta as { ingredients?: { recipe?: unknown } } | undefined) : undefined;
      if (recipe?.ingredients?.recipe) set.add(canonicalJson(recipe.ingredients.recipe));
    }
    if (set.size === 0) continue;
    const recipes = [...set].sort().join('\n');
    if (!first) first = { path: c.path, recipes };
    else if (recipes !== first.recipes)
      throw mergeError(
        'E_MERGE_MISMATCH',
        `${c.path} and ${first.path} hold features of different recipes (vision model, layer, frames, dtype...)`,
        { path: c.path, recipes: [...set], other: first.path, otherRecipes: first.recipes.split('\n') },
        'merge shards built with the same config (`kvc cache-stats` shows what each holds); rebuild the odd one',
      );
  }
}

async function copyShard(
  shard: FeatureCache,
  target: FeatureCache,
  from: Map<string, string>,
  manifest: ShardManifest | undefined,
): Promise<MergedShard> {
  let entries = 0;
  let copied = 0;
  let damaged = 0;
  let batch: RawEntry[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    await target.putRaw(batch);
    copied += batch.length;
    batch = [];
    bytes = 0;
  };
  for (const key of shard.keys()) {
    const e = shard.rawEntry(key);
    if (!e || !checkEntry(key, e.header, e.body).ok) {
      damaged++;
      continue;
    }
    entries++;
    const there = target.rawEntry(key);
    if (there && checkEntry(key, there.header, there.body).ok) {
      if (!Buffer.from(there.body).equals(Buffer.from(e.body)))
        throw mergeError(
          'E_MERGE_CONFLICT',
          `key ${key} has different features in ${shard.path} and ${from.get(key) ?? target.path}`,
          { key, path: shard.path, other: from.get(key) ?? target.path },
          'the same video was encoded differently (another backend or model files?): rebuild one of them',
        );
      continue;
    }
    from.set(key, shard.path);
    batch.push(e);
    bytes += e.body.byteLength;
    if (bytes >= BATCH_BYTES) await flush();
  }
  if (batch.length) await flush();
  return { path: shard.path, ...(manifest ? { shard: manifest } : {}), entries, copied, damaged };
}
