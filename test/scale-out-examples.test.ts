/**
 * The scheduler examples of docs/scale-out.md stay usable: the Kubernetes Indexed Job and the Slurm
 * array run `kvc cache --shard auto`, and the environment each scheduler gives its tasks (as the
 * manifests configure it) makes `--shard auto` cover every shard exactly once.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { shardFromEnv } from '@kvc/feature-cache';

const read = (p: string): string => readFileSync(new URL(`../examples/${p}`, import.meta.url), 'utf8');

/** The shard indices that tasks with these environments get; all of 0 … count-1, once each. */
function expectEveryShardOnce(envs: NodeJS.ProcessEnv[]): void {
  const shards = envs.map((e) => shardFromEnv(e));
  const count = envs.length;
  expect(shards.every((s) => s.count === count)).toBe(true);
  expect(shards.map((s) => s.index).sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
}

describe('examples/k8s/cache-indexed-job.yaml', () => {
  it('is an Indexed Job running kvc cache --shard auto with KVC_SHARD_COUNT = completions', () => {
    const job = parse(read('k8s/cache-indexed-job.yaml')) as {
      kind: string;
      spec: {
        completionMode: string;
        completions: number;
        template: { spec: { containers: { command: string[]; env: { name: string; value: string }[] }[] } };
      };
    };
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    const [container] = job.spec.template.spec.containers;
    expect(container!.command.slice(0, 2)).toEqual(['kvc', 'cache']);
    expect(container!.command.join(' ')).toContain('--shard auto');
    const count = container!.env.find((e) => e.name === 'KVC_SHARD_COUNT')!.value;
    expect(Number(count)).toBe(job.spec.completions);
    // Kubernetes gives pod i JOB_COMPLETION_INDEX=i, for i < completions.
    expectEveryShardOnce(
      [...Array(job.spec.completions).keys()].map((i) => ({ JOB_COMPLETION_INDEX: String(i), KVC_SHARD_COUNT: count })),
    );
  });
});

describe('examples/slurm/cache-array.sbatch', () => {
  it('is a contiguous job array running kvc cache --shard auto', () => {
    const script = read('slurm/cache-array.sbatch');
    const m = /^#SBATCH --array=(\d+)-(\d+)(%\d+)?$/m.exec(script);
    expect(m, 'an #SBATCH --array=MIN-MAX line').not.toBeNull();
    expect(script).toMatch(/srun kvc cache .*--shard auto/);
    const [min, max] = [Number(m![1]), Number(m![2])];
    // What Slurm sets in each task of the array.
    const env = (id: number): NodeJS.ProcessEnv => ({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: String(min),
      SLURM_ARRAY_TASK_MAX: String(max),
      SLURM_ARRAY_TASK_COUNT: String(max - min + 1),
      SLURM_ARRAY_TASK_STEP: '1',
    });
    expectEveryShardOnce([...Array(max - min + 1).keys()].map((i) => env(min + i)));
  });
});
