/** Motion tokens: late-half mean minus early-half mean per patch position, appended; opt-in. */
import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../config/run-config.js';
import { appendMotionTokens, featureView } from './motion-tokens.js';

/** frames × tokens × dim features where value = f (frame index) for token 0 and 10·f for token 1, dim 2. */
function ramp(frames: number): { shape: number[]; data: Float32Array } {
  const data = new Float32Array(frames * 2 * 2);
  for (let f = 0; f < frames; f++)
    for (let k = 0; k < 2; k++)
      for (let d = 0; d < 2; d++) data[(f * 2 + k) * 2 + d] = (k === 0 ? 1 : 10) * f * (d === 0 ? 1 : -1);
  return { shape: [frames * 2, 2], data };
}

describe('appendMotionTokens', () => {
  it.each([
    // frames, expected motion of token 0 dim 0 (mean of later frames − mean of earlier frames)
    [2, 1], // [1] − [0]
    [4, 2], // (2+3)/2 − (0+1)/2
    [5, 2.5], // (2+3+4)/3 − (0+1)/2
    [8, 4],
  ])('%i frames: motion %d', (frames, motion) => {
    const t = ramp(frames);
    const r = appendMotionTokens(t, frames);
    expect(r.shape).toEqual([(frames + 1) * 2, 2]);
    // The frame tokens are kept as they were.
    expect([...r.data.subarray(0, t.data.length)]).toEqual([...t.data]);
    const m = [...r.data.subarray(t.data.length)];
    [motion, -motion, 10 * motion, -10 * motion].forEach((v, i) => expect(m[i]).toBeCloseTo(v, 5));
  });

  it('is zero for a still video', () => {
    const still = { shape: [8, 3], data: new Float32Array(24).fill(0.7) };
    expect([...appendMotionTokens(still, 4).data.subarray(24)].every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('rejects rows that are not whole frames, or a single frame', () => {
    expect(() => appendMotionTokens({ shape: [7, 2], data: new Float32Array(14) }, 2)).toThrow(RangeError);
    expect(() => appendMotionTokens({ shape: [4, 2], data: new Float32Array(8) }, 1)).toThrow(RangeError);
  });
});

describe('featureView', () => {
  it('is off by default and appends tokens when features.motionTokens is on', () => {
    const t = ramp(8);
    expect(featureView(runConfigSchema.parse({}))(t)).toBe(t);
    const on = runConfigSchema.parse({ features: { motionTokens: true }, vision: { frames: 8 } });
    expect(featureView(on)(t).shape).toEqual([18, 2]);
  });
});
