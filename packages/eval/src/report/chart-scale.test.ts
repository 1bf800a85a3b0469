import { describe, expect, it } from 'vitest';
import { downsampleMinMax, formatNumber, formatTicks, logTicks, niceTicks } from './chart-scale.js';

describe('niceTicks', () => {
  it("keeps a tiny range (an untrained model's BLEU, ~1e-17) a range, not one point", () => {
    const t = niceTicks(5.5e-18, 1.5e-17, 5);
    expect(t.max).toBeGreaterThan(t.min);
    expect(t.min).toBeLessThanOrEqual(5.5e-18);
    expect(t.max).toBeGreaterThanOrEqual(1.5e-17);
    expect(t.ticks.length).toBeGreaterThan(2);
    expect(t.ticks.every(Number.isFinite)).toBe(true);
  });
  it.each([
    [0, 10, 5, [0, 2, 4, 6, 8, 10]],
    [0.13, 0.87, 5, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]],
    [0.13, 0.87, 3, [0, 0.25, 0.5, 0.75, 1]],
    [1, 160, 6, [0, 25, 50, 75, 100, 125, 150, 175]],
    [-3, 3, 6, [-3, -2, -1, 0, 1, 2, 3]],
    [0.1, 0.3, 5, [0.1, 0.15, 0.2, 0.25, 0.3]],
  ])('[%d, %d] in about %d steps → %j', (lo, hi, n, ticks) => {
    const t = niceTicks(lo, hi, n);
    expect(t.ticks).toEqual(ticks);
    expect(t.min).toBe(ticks[0]);
    expect(t.max).toBe(ticks[ticks.length - 1]);
  });

  it('widens a flat range around the value, and 0 to [-1, 1]', () => {
    const t = niceTicks(5, 5);
    expect(t.min).toBeLessThan(5);
    expect(t.max).toBeGreaterThan(5);
    expect(niceTicks(0, 0)).toMatchObject({ min: -1, max: 1 });
  });

  it('keeps whole ticks with minStep 1 (epochs)', () => {
    expect(niceTicks(1, 4, 6).ticks).toContain(1.5);
    expect(niceTicks(1, 4, 6, 1).ticks).toEqual([1, 2, 3, 4]);
  });

  it('falls back to [0, 1] for non-finite input and accepts reversed bounds', () => {
    expect(niceTicks(NaN, 3)).toMatchObject({ min: 0, max: 1 });
    expect(niceTicks(10, 0, 5).ticks).toEqual([0, 2, 4, 6, 8, 10]);
  });
});

describe('logTicks', () => {
  it('uses 1-2-5 ticks within a narrow span and powers of ten over many decades', () => {
    expect(logTicks(0.45, 3.5).ticks).toEqual([0.5, 1, 2]);
    expect(logTicks(1e-4, 10).ticks).toEqual([1e-4, 1e-3, 1e-2, 0.1, 1, 10]);
  });

  it('pads the domain and keeps every tick inside it', () => {
    const t = logTicks(0.45, 3.5);
    expect(t.min).toBeLessThan(0.45);
    expect(t.max).toBeGreaterThan(3.5);
    for (const v of t.ticks) expect(v >= t.min && v <= t.max).toBe(true);
  });

  it('falls back to linear ticks when no 1-2-5 tick is inside (0.6–0.9)', () => {
    const t = logTicks(0.6, 0.9);
    expect(t.ticks.length).toBeGreaterThanOrEqual(2);
    for (const v of t.ticks) expect(v > 0.55 && v < 0.95).toBe(true);
  });

  it('handles non-positive input without throwing', () => {
    expect(logTicks(0, 1).ticks.length).toBeGreaterThan(0);
    expect(logTicks(-1, -0.5).ticks.length).toBeGreaterThan(0);
  });
});

describe('formatNumber / formatTicks', () => {
  it.each([
    [0, '0'],
    [12, '12'],
    [0.125, '0.125'],
    [2.34567, '2.346'],
    [15000, '15k'],
    [2_340_000, '2.34M'],
    [5e-5, '5e-5'],
    [-0.0002, '-2e-4'],
  ])('%d → %s', (v, s) => expect(formatNumber(v)).toBe(s));

  it('uses one notation per axis', () => {
    expect(formatTicks([0, 2e-4, 4e-4, 1e-3])).toEqual(['0', '2e-4', '4e-4', '1e-3']);
    expect(formatTicks([0, 0.5, 1])).toEqual(['0', '0.5', '1']);
  });
});

describe('downsampleMinMax', () => {
  it('returns short input as is', () => {
    const pts = [
      { x: 0, y: 1 },
      { x: 1, y: 2 },
    ];
    expect(downsampleMinMax(pts, 100)).toBe(pts);
  });

  it('stays under the limit, keeps x order and keeps the spikes', () => {
    const pts = Array.from({ length: 10_000 }, (_, i) => ({
      x: i,
      y: i === 4321 ? 100 : i === 777 ? -50 : Math.sin(i),
    }));
    const out = downsampleMinMax(pts, 200);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.map((p) => p.y)).toEqual(expect.arrayContaining([100, -50]));
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x);
  });
});
