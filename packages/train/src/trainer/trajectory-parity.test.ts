import { describe, expect, it } from 'vitest';
import { runTrainTrajectoryParity } from './trajectory-parity.js';

const CASE = new URL('../../../../test/fixtures/reference/trajectory/', import.meta.url).pathname;

describe('train-trajectory reference through the real trainer', () => {
  it('reproduces every loss, norm, lr and the weights after each stage', async () => {
    const r = await runTrainTrajectoryParity(CASE);
    const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.error}`);
    expect(failed).toEqual([]);
    expect(r.pass).toBe(true);
    expect(r.checks.length).toBeGreaterThan(10);
  });

  it('fails when the schedule is wrong (warmup counted differently)', async () => {
    const r = await runTrainTrajectoryParity(CASE, { override: { warmupRatio: 0.5 } });
    expect(r.pass).toBe(false);
    expect(r.checks.find((c) => c.name.startsWith('lrs'))!.pass).toBe(false);
  });
});
