import { describe, expect, it } from 'vitest';
import { initBackend } from '@kvc/models';
import { webgpuForTests } from '@kvc/models/testing';
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

describe('the train-trajectory reference in precision f16 (webgpu; lavapipe in CI)', () => {
  it('stays within the derived f16 tolerances of the f32 references, with loss scaling on', async () => {
    if (!(await webgpuForTests())) return;
    try {
      const r = await runTrainTrajectoryParity(CASE, { backend: 'webgpu', precision: 'f16' });
      for (const c of r.checks)
        console.log(`f16 ${c.name}: ${c.error.toExponential(2)} / ${c.tolerance.toExponential(2)}`);
      const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.error} > ${c.tolerance}`);
      expect(failed).toEqual([]);
      // f16 really ran: the losses are not the f32 ones bit for bit.
      expect(r.checks.find((c) => c.name.startsWith('losses'))!.maxAbs).toBeGreaterThan(0);
    } finally {
      await initBackend('cpu');
    }
  }, 900_000);
});
