import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { accumulationPlan, isOptimizerStepBoundary } from './accumulation.js';
import { AdamW } from './adamw.js';
import { cosineWithWarmup } from './lr-lambda.js';
import { Scheduler } from './scheduler.js';
import { readSafetensorsFile } from './testing/read-safetensors.js';

/** Runs one stage the way the reference trainer does and returns the lr of every optimizer step. */
function runStage(microBatches: number, accumulation: number, epochs: number, warmupRatio: number, lr: number) {
  const plan = accumulationPlan({ microBatches, accumulation, epochs, warmupRatio });
  const optimizer = new AdamW({ groups: [{ name: 'projector', params: ['w'], lr }] });
  const scheduler = new Scheduler(
    optimizer,
    cosineWithWarmup({ warmupSteps: plan.warmupSteps, totalSteps: plan.totalSteps }),
  );
  const params = new Map([['w', new Float32Array([1])]]);
  const used: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < microBatches; i++) {
      if (!isOptimizerStepBoundary(i, microBatches, accumulation)) continue;
      used.push(optimizer.lr('projector'));
      optimizer.step(params, new Map([['w', new Float32Array([0.5])]]));
      scheduler.step();
    }
  }
  return { plan, used, after: optimizer.lr('projector'), scheduler };
}

describe('Scheduler (torch LambdaLR) with gradient accumulation', () => {
  it('10 batches, accumulation 3, 2 epochs: 8 optimizer steps, lr exactly 0 after the last one', () => {
    const { plan, used, after, scheduler } = runStage(10, 3, 2, 0.25, 1e-3);
    expect(plan).toMatchObject({ stepsPerEpoch: 4, totalSteps: 8, warmupSteps: 2 });
    expect(used).toHaveLength(8);
    // "The last step" = optimizer step 7 (0-based) uses lambda(7) > 0; the scheduler.step()
    // after it sets lambda(8) = 0, which is what a following stage would inherit if it reused it.
    expect(used[0]).toBe(0);
    expect(used[2]).toBe(1e-3);
    expect(used[7]).toBeGreaterThan(0);
    expect(after).toBe(0);
    expect(scheduler.lastStep).toBe(8);
    expect(scheduler.lastLr()).toEqual({ projector: 0 });
  });

  it('each stage gets a fresh schedule that ends at exactly 0', () => {
    for (const [lr, epochs] of [
      [1e-3, 2],
      [5e-5, 3],
    ] as const) {
      const { used, after, plan } = runStage(7, 2, epochs, 0.1, lr);
      expect(used).toHaveLength(plan.totalSteps);
      expect(used[0]).toBe(plan.warmupSteps === 0 ? lr : 0);
      expect(after).toBe(0);
    }
  });

  it('reproduces the trajectory reference lrs (both stages) from its case.json alone', async () => {
    const dir = fileURLToPath(new URL('../../../../test/fixtures/reference/trajectory/', import.meta.url));
    const { readFile } = await import('node:fs/promises');
    const c = JSON.parse(await readFile(`${dir}case.json`, 'utf8'));
    const ref = (await readSafetensorsFile(`${dir}reference.safetensors`)).get('lrs')!.data as Float32Array;
    const lrs = [c.stage1.lr, c.stage2.lr].flatMap(
      (lr: number) => runStage(c.micro_batches, c.gradient_accumulation, 1, c.warmup_ratio, lr).used,
    );
    expect(lrs.map(Math.fround)).toEqual([...ref]);
  });

  it('state / loadState resumes the counter and re-applies the lr', () => {
    const a = new AdamW({
      groups: [
        { name: 'g', params: [], lr: 0.1 },
        { name: 'h', params: [], lr: 0.2 },
      ],
    });
    const s = new Scheduler(a, cosineWithWarmup({ warmupSteps: 1, totalSteps: 5 }));
    for (let i = 0; i < 3; i++) s.step();
    const b = new AdamW({
      groups: [
        { name: 'g', params: [], lr: 0.1 },
        { name: 'h', params: [], lr: 0.2 },
      ],
    });
    const t = new Scheduler(b, cosineWithWarmup({ warmupSteps: 1, totalSteps: 5 }));
    t.loadState(JSON.parse(JSON.stringify(s.state())));
    expect(t.lastLr()).toEqual(s.lastLr());
    expect(b.lr('h')).toBe(a.lr('h'));
    s.step();
    t.step();
    expect(t.lastLr()).toEqual(s.lastLr());
    expect(() => t.loadState({ lastStep: -1 })).toThrow(/lastStep/);
  });
});
