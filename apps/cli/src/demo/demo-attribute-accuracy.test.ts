import { describe, expect, it } from 'vitest';
import { planSynth, type SynthAttributes } from '@kvc/video-io';
import { demoAttributeAccuracy } from './demo-attribute-accuracy.js';

const red: SynthAttributes = { color: 'red', shape: 'circle', direction: 'right', background: 'black' };
const blue: SynthAttributes = { color: 'blue', shape: 'triangle', direction: 'up', background: 'striped' };

describe('demoAttributeAccuracy', () => {
  it.each([
    // prediction, label, [color, shape, direction, background, all3]
    ['빨간 원이 검은 배경 위에서 오른쪽으로 움직인다.', red, [1, 1, 1, 1, 1]],
    ['빨간 동그라미가 흰 배경 위에서 오른쪽으로 움직인다.', red, [1, 1, 1, 0, 1]],
    ['파란 원이 검은 배경 위에서 오른쪽으로 움직인다.', red, [0, 1, 1, 1, 0]],
    ['줄무늬 배경에서 파란색 세모가 아래쪽으로 이동하고 있다.', blue, [1, 1, 0, 1, 0]],
    ['', blue, [0, 0, 0, 0, 0]],
  ] as const)('%s', (pred, label, want) => {
    const a = demoAttributeAccuracy([pred], [label]);
    expect([a.color, a.shape, a.direction, a.background, a.all3]).toEqual(want);
    expect(a.count).toBe(1);
  });

  it('averages over samples, and the reference captions score 1 everywhere', () => {
    const plan = planSynth({ out: '/unused', train: 40, val: 0 });
    const perfect = demoAttributeAccuracy(
      plan.map((s) => s.caption),
      plan.map((s) => s.attributes),
    );
    expect(perfect).toEqual({ count: 40, color: 1, shape: 1, direction: 1, background: 1, all3: 1 });
    const half = demoAttributeAccuracy(['빨간 원이 검은 배경 위에서 오른쪽으로 움직인다.', '노란 네모'], [red, red]);
    expect(half).toMatchObject({ color: 0.5, shape: 0.5, direction: 0.5, all3: 0.5 });
  });

  it('rejects mismatched lengths; an empty set scores 0', () => {
    expect(() => demoAttributeAccuracy(['a'], [])).toThrow(RangeError);
    expect(demoAttributeAccuracy([], []).all3).toBe(0);
  });
});
