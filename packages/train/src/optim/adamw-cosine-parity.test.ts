import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TrainError } from '../errors.js';
import { runAdamwCosineParity } from './adamw-cosine-parity.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/optim/', import.meta.url));

describe('runAdamwCosineParity (reference kind adamw-cosine)', () => {
  it('reproduces torch AdamW + cosine warmup + clipping: every norm, every lr, final params', async () => {
    const report = await runAdamwCosineParity(CASE);
    const failing = report.checks.filter((c) => !c.pass).map((c) => `${c.name} abs=${c.maxAbs} rel=${c.maxRel}`);
    expect(failing).toEqual([]);
    expect(report.pass).toBe(true);
    expect(report.kind).toBe('adamw-cosine');
    const names = report.checks.map((c) => c.name);
    expect(names).toContain('pre_clip_norms[19]');
    expect(names).toContain('lrs[19]');
    expect(names).toContain('p_final');
    expect(names).toContain('q_final');
    // Far inside the tolerance: within a few float32 ulps of torch (see f32-kernels.ts).
    const finals = report.checks.filter((c) => c.name.endsWith('_final'));
    for (const c of finals) expect(c.maxAbs).toBeLessThan(1e-7);
    for (const c of report.checks) expect(c.error).toBeLessThanOrEqual(c.tolerance);
  });

  it.each([
    // (eps 1e-6 moves the parameters by only ~4e-8 here and a larger clip norm is nearly
    // invisible to Adam, which is invariant to the gradient scale: those would not fail.)
    ['weight decay 0', { weightDecay: 0 }, 'p_final'],
    ['eps 1e-3', { eps: 1e-3 }, 'p_final'],
    ['beta2 0.99', { betas: [0.9, 0.99] as const }, 'q_final'],
    ['no warmup', { warmupSteps: 0 }, 'lrs[0]'],
    ['total steps 21', { totalSteps: 21 }, 'lrs[19]'],
  ])('fails when the math is mutated (%s)', async (_label, override, failingCheck) => {
    const report = await runAdamwCosineParity(CASE, { override });
    expect(report.pass).toBe(false);
    expect(report.checks.find((c) => c.name === failingCheck)?.pass).toBe(false);
  });

  it('rejects a folder of another kind with E_PARITY_CASE', async () => {
    const other = fileURLToPath(new URL('../../../../test/fixtures/reference/trajectory/', import.meta.url));
    await expect(runAdamwCosineParity(other)).rejects.toMatchObject({ code: 'E_PARITY_CASE' });
    await expect(runAdamwCosineParity('/nonexistent-case')).rejects.toBeInstanceOf(TrainError);
  });
});
