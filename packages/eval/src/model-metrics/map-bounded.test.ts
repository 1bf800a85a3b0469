import { describe, expect, it } from 'vitest';
import { mapBounded } from './map-bounded.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapBounded', () => {
  it('keeps at most `limit` calls in flight and returns results in order', async () => {
    let inFlight = 0,
      most = 0;
    const out = await mapBounded([30, 5, 20, 1, 10], 2, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await tick(ms);
      inFlight--;
      return i * 10;
    });
    expect(out).toEqual([0, 10, 20, 30, 40]);
    expect(most).toBe(2);
  });
  it('after a failure starts nothing new, lets the calls in flight settle, then throws the first error', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = mapBounded([0, 1, 2, 3, 4, 5], 2, async (x) => {
      started.push(x);
      await tick(x === 1 ? 5 : 20);
      settled++;
      if (x === 1) throw new Error('bad video 1');
      return x;
    });
    await expect(run).rejects.toThrow('bad video 1');
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(2);
  });
  it('an empty list gives an empty result', async () => {
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
  });
});
