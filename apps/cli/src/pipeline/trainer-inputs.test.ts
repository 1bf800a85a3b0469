import { describe, expect, it } from 'vitest';
import { configDiff } from '@kvc/train';
import { loadRunConfig } from '../config/load-config.js';
import { checkTextRoom, trainerOptions } from './trainer-inputs.js';

describe('checkTextRoom', () => {
  it('needs the prompt, one caption token and EOS: an input error otherwise, not E_UNEXPECTED', () => {
    expect(() => checkTextRoom(12, 10)).not.toThrow();
    expect(() => checkTextRoom(11, 10)).toThrow(
      expect.objectContaining({
        code: 'E_CONFIG_INVALID',
        context: { maxTextLength: 11, promptTokens: 10, needed: 12 },
      }),
    );
  });
});

describe('train.checkpointEverySteps', () => {
  it("turns on the trainer's step checkpoints, and a resumed run may change it", () => {
    const every5 = loadRunConfig({ preset: 'seed', overrides: ['train.checkpointEverySteps=5'] });
    const opts = trainerOptions(every5, '/tmp/run', true);
    expect(opts).toMatchObject({ checkpointEverySteps: 5, keepCheckpoints: 2 });
    expect(trainerOptions(loadRunConfig({ preset: 'seed' }), '/tmp/run', true).checkpointEverySteps).toBe(0);
    const every9 = loadRunConfig({
      preset: 'seed',
      overrides: ['train.checkpointEverySteps=9', 'train.keepCheckpoints=4'],
    });
    expect(configDiff(every5, every9, opts.resumeIgnoreKeys)).toEqual([]);
    const otherLr = loadRunConfig({
      preset: 'seed',
      overrides: ['train.checkpointEverySteps=5', 'train.stage2.lr=1e-4'],
    });
    expect(configDiff(every5, otherLr, opts.resumeIgnoreKeys)).toEqual(['train.stage2.lr']);
  });
});

describe('precision f16 and the trainer', () => {
  it('turns on loss scaling with train.lossScale (torch defaults) only in f16; checkNonFinite passes through', () => {
    const f16 = trainerOptions(loadRunConfig({ preset: 'seed' }), '/tmp/run', true);
    expect(f16.lossScale).toEqual({
      initScale: 2 ** 16,
      growthFactor: 2,
      backoffFactor: 0.5,
      growthInterval: 2000,
      maxConsecutiveSkips: 20,
    });
    const f32 = trainerOptions(loadRunConfig({ preset: 'seed', overrides: ['precision=f32'] }), '/tmp/run', true);
    expect(f32.lossScale).toBeUndefined();
    const checked = loadRunConfig({
      preset: 'demo',
      overrides: ['train.checkNonFinite=true', 'train.lossScale.init=8'],
    });
    expect(trainerOptions(checked, '/tmp/run', true).checkNonFinite).toBe(true);
    // A run may continue in the other precision (numerics, not state).
    expect(
      configDiff(
        loadRunConfig({ preset: 'seed' }),
        loadRunConfig({ preset: 'seed', overrides: ['precision=f32'] }),
        f16.resumeIgnoreKeys,
      ),
    ).toEqual([]);
  });
});

describe('trainerOptions: checkpointing', () => {
  it('train.checkpointStageInputs and checkpointAttention keep what they keep only when layers are checkpointed; they, gpuPoolGiB and gpuMemoryGiB may change on resume', () => {
    const opts = (overrides: string[]) => trainerOptions(loadRunConfig({ overrides }), '/tmp/run', true);
    expect(opts([]).gradientCheckpointing).toBe(true);
    expect(opts(['train.checkpointStageInputs=true']).gradientCheckpointing).toBe('keep-stage-inputs');
    expect(opts(['train.checkpointAttention=true']).gradientCheckpointing).toBe('keep-attention');
    expect(opts(['train.gradientCheckpointing=false', 'train.checkpointStageInputs=true']).gradientCheckpointing).toBe(
      false,
    );
    expect(opts(['train.gradientCheckpointing=false', 'train.checkpointAttention=true']).gradientCheckpointing).toBe(
      false,
    );
    const a = loadRunConfig({});
    const b = loadRunConfig({
      overrides: [
        'train.checkpointStageInputs=true',
        'train.checkpointAttention=true',
        'gpuPoolGiB=8',
        'gpuMemoryGiB=60',
      ],
    });
    expect(configDiff(a, b, opts([]).resumeIgnoreKeys)).toEqual([]);
  });
});
