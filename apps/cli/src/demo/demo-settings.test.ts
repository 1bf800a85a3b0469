/** KVC_DEMO_SIZE parsing: defaults, a subset of keys, and loud errors on typos. */
import { describe, expect, it } from 'vitest';
import { DEMO_VISION_PRETRAIN, DEMO_WARM_UP } from './build-demo-models.js';
import { DEMO_DATA, demoSize } from './demo-settings.js';

describe('demoSize', () => {
  it('is the full demo without a spec', () => {
    expect(demoSize('')).toEqual({ data: DEMO_DATA, warmUp: DEMO_WARM_UP, visionPretrain: DEMO_VISION_PRETRAIN });
    expect(demoSize(undefined).data).toEqual(DEMO_DATA);
  });

  it('overrides only the keys given', () => {
    const s = demoSize(' train=64, val=16 ,warmUpSteps=40');
    expect(s.data).toEqual({ train: 64, val: 16, seed: DEMO_DATA.seed });
    expect(s.warmUp).toEqual({ ...DEMO_WARM_UP, steps: 40 });
    expect(s.visionPretrain).toEqual(DEMO_VISION_PRETRAIN);
    expect(demoSize('seed=0').data.seed).toBe(0);
    expect(demoSize('visionSteps=200').visionPretrain).toEqual({ ...DEMO_VISION_PRETRAIN, steps: 200 });
    expect(demoSize('visionSteps=0').visionPretrain).toBe(false);
  });

  it.each(['trian=64', 'train=', 'train=0', 'val=1.5', 'seed=-1', 'warmUpSteps=x', 'visionSteps=-1', 'train'])(
    'rejects %j',
    (spec) => {
      expect(() => demoSize(spec)).toThrow(/KVC_DEMO_SIZE/);
    },
  );
});
