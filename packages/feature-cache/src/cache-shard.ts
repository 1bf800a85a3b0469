/**
 * Cache shards: N machines (or processes) each cache the videos whose cache key hashes to their
 * shard index, into a cache of their own, and `mergeCaches` puts them back together. The hash is
 * of the key, not of a position in a file listing, so shards agree whatever order each machine
 * lists the dataset in, and a rerun of one shard redoes exactly its own videos.
 */
import { createHash } from 'node:crypto';
import { FeatureCacheError } from './errors.js';

/** Shard `index` (0-based) of `count`. */
export interface CacheShard {
  readonly index: number;
  readonly count: number;
}

/** The shard (0 … count-1) that `key` belongs to: the first 4 bytes of sha256(key), mod count. */
export function shardOfKey(key: string, count: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

/** Where shard `s` of the cache at `cacheDir` lives: a sibling directory `<cacheDir>.shard-<i>-of-<N>`. */
export function shardCacheDir(cacheDir: string, s: CacheShard): string {
  return `${cacheDir.replace(/[/\\]+$/, '')}.shard-${s.index}-of-${s.count}`;
}

const badShard = (message: string, context: Record<string, unknown>, hint: string): FeatureCacheError =>
  new FeatureCacheError('E_BAD_SHARD', message, context, hint);

/** `index` of `count`, checked (integers, 0 ≤ index < count). */
export function cacheShard(index: number, count: number, origin: string): CacheShard {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count)
    throw badShard(
      `${origin} gives shard ${index} of ${count}: the index must be 0 … count-1`,
      { index, count, origin },
      'shards are numbered from 0: --shard 0/4 … --shard 3/4',
    );
  return { index, count };
}

/**
 * Reads `--shard`: `I/N` (shard I of N, from 0), or `auto`: the scheduler's variables (see
 * {@link shardFromEnv}).
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): CacheShard {
  if (text.trim() === 'auto') return shardFromEnv(env);
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m)
    throw badShard(`--shard ${text} is neither I/N nor auto`, { shard: text }, 'e.g. --shard 0/4, or --shard auto');
  return cacheShard(Number(m[1]), Number(m[2]), `--shard ${text}`);
}

const SOURCES =
  'a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with KVC_SHARD_COUNT), a Slurm job array ' +
  '(SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN/MAX), or KVC_SHARD_INDEX/KVC_SHARD_COUNT';

/**
 * The shard a scheduler gave this process: a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX
 * (the job's `completions` is not in the pod's environment: the manifest sets KVC_SHARD_COUNT to
 * it); a Slurm job array sets SLURM_ARRAY_TASK_ID and the array's COUNT and MIN/MAX (index =
 * id − min, so `--array=1-8` works); KVC_SHARD_INDEX/KVC_SHARD_COUNT serve any other scheduler.
 * Variables that disagree (two schedulers naming different shards, a COUNT that is not MAX−MIN+1,
 * an array with a step) are an error rather than a guess: a wrong guess silently skips videos.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv): CacheShard {
  const found: { shard: CacheShard; from: string }[] = [];
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v.trim() === '') return undefined;
    if (!/^\s*\d+\s*$/.test(v))
      throw badShard(`${name}=${v} is not a non-negative integer`, { [name]: v }, `--shard auto reads ${SOURCES}`);
    return Number(v);
  };
  const count = int('KVC_SHARD_COUNT');
  const k8s = int('JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (count === undefined)
      throw badShard(
        'JOB_COMPLETION_INDEX is set but KVC_SHARD_COUNT is not',
        { JOB_COMPLETION_INDEX: k8s },
        "set KVC_SHARD_COUNT to the Job's spec.completions in the pod template (examples/k8s/cache-indexed-job.yaml)",
      );
    found.push({ shard: cacheShard(k8s, count, 'JOB_COMPLETION_INDEX'), from: 'JOB_COMPLETION_INDEX' });
  }
  const slurm = slurmShard(int, count);
  if (slurm) found.push({ shard: slurm, from: 'SLURM_ARRAY_TASK_ID' });
  const own = int('KVC_SHARD_INDEX');
  if (own !== undefined) {
    if (count === undefined)
      throw badShard('KVC_SHARD_INDEX is set but KVC_SHARD_COUNT is not', {}, 'set both, or use --shard I/N');
    found.push({ shard: cacheShard(own, count, 'KVC_SHARD_INDEX'), from: 'KVC_SHARD_INDEX' });
  }
  if (found.length === 0) throw badShard('--shard auto found no shard in the environment', {}, `run it in ${SOURCES}`);
  const [first, ...rest] = found;
  const other = rest.find((f) => f.shard.index !== first!.shard.index || f.shard.count !== first!.shard.count);
  if (other) {
    const say = (f: (typeof found)[number]): string => `${f.from} says ${f.shard.index}/${f.shard.count}`;
    throw badShard(
      `--shard auto found inconsistent shards: ${say(first!)}, ${say(other)}`,
      {},
      'unset the variables of the scheduler this job is not running under, or pass --shard I/N',
    );
  }
  return first!.shard;
}

function slurmShard(int: (name: string) => number | undefined, kvcCount: number | undefined): CacheShard | undefined {
  const id = int('SLURM_ARRAY_TASK_ID');
  if (id === undefined) return undefined;
  const step = int('SLURM_ARRAY_TASK_STEP');
  const min = int('SLURM_ARRAY_TASK_MIN') ?? 0;
  const max = int('SLURM_ARRAY_TASK_MAX');
  const count = int('SLURM_ARRAY_TASK_COUNT') ?? (max === undefined ? kvcCount : max - min + 1);
  const hint = 'submit a contiguous array, e.g. sbatch --array=0-7 (a `%` limit is fine), or pass --shard I/N';
  if (step !== undefined && step !== 1)
    throw badShard(`the Slurm array has step ${step}: shards need every index`, { SLURM_ARRAY_TASK_STEP: step }, hint);
  if (count === undefined)
    throw badShard('SLURM_ARRAY_TASK_ID is set but not the array size', { SLURM_ARRAY_TASK_ID: id }, hint);
  if (max !== undefined && max - min + 1 !== count)
    throw badShard(
      `SLURM_ARRAY_TASK_COUNT=${count} disagrees with SLURM_ARRAY_TASK_MIN/MAX=${min}/${max}`,
      { count, min, max },
      hint,
    );
  if (kvcCount !== undefined && kvcCount !== count)
    throw badShard(`KVC_SHARD_COUNT=${kvcCount} disagrees with the Slurm array's ${count} tasks`, {}, hint);
  return cacheShard(id - min, count, 'SLURM_ARRAY_TASK_ID');
}
