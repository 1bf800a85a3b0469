import { describe, expect, it } from 'vitest';
import { parseShard, shardCacheDir, shardFromEnv, shardOfKey } from './cache-shard.js';

describe('shardOfKey', () => {
  it('puts every key in exactly one shard, the same one every time, spread evenly', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `f1:key-${i}`);
    for (const count of [1, 3, 8]) {
      const sizes = new Array<number>(count).fill(0);
      for (const k of keys) {
        const s = shardOfKey(k, count);
        expect(Number.isInteger(s) && s >= 0 && s < count).toBe(true);
        expect(shardOfKey(k, count)).toBe(s);
        sizes[s]!++;
      }
      // 2000 keys over ≤ 8 shards: each within 25% of its share (a binomial spread is ~±7% here).
      for (const n of sizes) expect(Math.abs(n - keys.length / count)).toBeLessThan((0.25 * keys.length) / count);
    }
  });
});

describe('parseShard', () => {
  it('reads I/N', () => {
    expect(parseShard('0/4', {})).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3 / 4 ', {})).toEqual({ index: 3, count: 4 });
  });
  for (const bad of ['4/4', '-1/4', '1/0', '1', 'a/b', '1/2/3'])
    it(`refuses ${bad}`, () => {
      expect(() => parseShard(bad, {})).toThrow(expect.objectContaining({ code: 'E_BAD_SHARD' }));
    });
  it('auto reads the environment', () => {
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '2', KVC_SHARD_COUNT: '5' })).toEqual({ index: 2, count: 5 });
  });
});

describe('shardFromEnv (--shard auto)', () => {
  const ok: [string, NodeJS.ProcessEnv, [number, number]][] = [
    ['a Kubernetes Indexed Job', { JOB_COMPLETION_INDEX: '3', KVC_SHARD_COUNT: '4' }, [3, 4]],
    ['a Slurm array with COUNT', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }, [1, 3]],
    [
      'a Slurm array 1-8 (MIN/MAX)',
      { SLURM_ARRAY_TASK_ID: '8', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8' },
      [7, 8],
    ],
    [
      'a Slurm array with COUNT, MIN, MAX and step 1 that agree',
      {
        SLURM_ARRAY_TASK_ID: '5',
        SLURM_ARRAY_TASK_COUNT: '4',
        SLURM_ARRAY_TASK_MIN: '4',
        SLURM_ARRAY_TASK_MAX: '7',
        SLURM_ARRAY_TASK_STEP: '1',
      },
      [1, 4],
    ],
    ['KVC_SHARD_INDEX/COUNT', { KVC_SHARD_INDEX: '0', KVC_SHARD_COUNT: '2' }, [0, 2]],
    [
      'two schedulers that agree',
      { JOB_COMPLETION_INDEX: '1', KVC_SHARD_COUNT: '2', SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' },
      [1, 2],
    ],
  ];
  for (const [what, env, [index, count]] of ok)
    it(`reads ${what}`, () => expect(shardFromEnv(env)).toEqual({ index, count }));

  const bad: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['nothing set', {}, /found no shard/],
    ['JOB_COMPLETION_INDEX without a count', { JOB_COMPLETION_INDEX: '0' }, /KVC_SHARD_COUNT is not/],
    ['an index past the count', { JOB_COMPLETION_INDEX: '4', KVC_SHARD_COUNT: '4' }, /0 … count-1/],
    ['a non-integer', { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' }, /not a non-negative integer/],
    [
      'COUNT against MIN/MAX',
      { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '4' },
      /disagrees/,
    ],
    ['a Slurm array with a step', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_STEP: '2' }, /step 2/],
    ['a Slurm id without the array size', { SLURM_ARRAY_TASK_ID: '2' }, /not the array size/],
    [
      'two schedulers that disagree',
      { JOB_COMPLETION_INDEX: '0', KVC_SHARD_COUNT: '2', SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' },
      /inconsistent shards/,
    ],
    [
      'KVC_SHARD_COUNT against the Slurm array',
      { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2', KVC_SHARD_COUNT: '3' },
      /disagrees/,
    ],
  ];
  for (const [what, env, message] of bad)
    it(`refuses ${what}`, () => {
      const e = expect.objectContaining({ code: 'E_BAD_SHARD', message: expect.stringMatching(message) });
      expect(() => shardFromEnv(env)).toThrow(e);
    });
});

describe('shardCacheDir', () => {
  it('is a sibling of the cache directory named after the shard', () => {
    expect(shardCacheDir('/c/features/', { index: 2, count: 8 })).toBe('/c/features.shard-2-of-8');
  });
});
