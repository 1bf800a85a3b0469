import { describe, expect, it } from 'vitest';
import { DAWN_FLAGS, dawnFlags } from './webgpu-device.js';

describe('dawnFlags', () => {
  it('is DAWN_FLAGS unless KVC_DAWN_TOGGLES adds toggles to the same flag', () => {
    expect(dawnFlags({})).toEqual([...DAWN_FLAGS]);
    expect(dawnFlags({ KVC_DAWN_TOGGLES: '' })).toEqual([...DAWN_FLAGS]);
    const [flag] = dawnFlags({ KVC_DAWN_TOGGLES: 'disable_robustness,,dump_shaders' });
    expect(flag).toBe(`${DAWN_FLAGS[0]},disable_robustness,dump_shaders`);
  });
});
