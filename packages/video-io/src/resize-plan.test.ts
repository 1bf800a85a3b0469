import { describe, expect, it } from 'vitest';
import { planResize } from './resize-plan.js';

describe('planResize', () => {
  it.each([
    // [w, h, spec, filters, outW, outH]
    [32, 16, undefined, [], 32, 16],
    [32, 16, { mode: 'exact', width: 10, height: 6 }, ['scale=10:6:flags=bicubic'], 10, 6],
    [32, 16, { mode: 'shortest', size: 8 }, ['scale=16:8:flags=bicubic', 'crop=8:8:4:0'], 8, 8],
    [16, 32, { mode: 'shortest', size: 8 }, ['scale=8:16:flags=bicubic', 'crop=8:8:0:4'], 8, 8],
    [30, 20, { mode: 'shortest', size: 8, centerCrop: false }, ['scale=12:8:flags=bicubic'], 12, 8],
    [20, 20, { mode: 'shortest', size: 10 }, ['scale=10:10:flags=bicubic'], 10, 10],
    [640, 480, { mode: 'shortest', size: 336 }, ['scale=448:336:flags=bicubic', 'crop=336:336:56:0'], 336, 336],
  ] as const)('%i×%i %j', (w, h, spec, filters, ow, oh) => {
    const plan = planResize(w, h, spec);
    expect(plan.filters).toEqual(filters);
    expect([plan.width, plan.height]).toEqual([ow, oh]);
  });

  it.each([
    // [w, h, maxShortEdge, filters, outW, outH]: only frames over the bound are scaled, never up
    [3840, 2160, 2160, [], 3840, 2160],
    [640, 360, 2160, [], 640, 360],
    [8000, 8000, 2160, ['scale=2160:2160:flags=bicubic'], 2160, 2160],
    [4000, 3000, 672, ['scale=896:672:flags=bicubic'], 896, 672],
    [100, 3000, 50, ['scale=7:200:flags=bicubic'], 7, 200], // the long edge bound (4 × 50) wins
  ] as const)('%i×%i bounded to short edge %i', (w, h, bound, filters, ow, oh) => {
    const plan = planResize(w, h, undefined, bound);
    expect(plan.filters).toEqual(filters);
    expect([plan.width, plan.height]).toEqual([ow, oh]);
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => planResize(10, 10, { mode: 'shortest', size: 0 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => planResize(10, 10, { mode: 'exact', width: 4.5, height: 4 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});
