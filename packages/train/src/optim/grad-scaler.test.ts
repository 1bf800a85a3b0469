import { describe, expect, it } from 'vitest';
import { GradScaler } from './grad-scaler.js';

/**
 * torch's `_amp_update_scale_` written out once more, in float64 then rounded to float32 as the
 * kernel stores it: the expected values below come from these rules, not typed numbers.
 */
function torchRules(found: readonly boolean[], init: number, growth: number, backoff: number, interval: number) {
  let scale = Math.fround(init);
  let tracker = 0;
  const out: { scale: number; tracker: number }[] = [];
  for (const inf of found) {
    if (inf) {
      scale = Math.fround(scale * backoff);
      tracker = 0;
    } else if (tracker + 1 === interval) {
      const next = Math.fround(scale * growth);
      if (Number.isFinite(next)) scale = next;
      tracker = 0;
    } else tracker += 1;
    out.push({ scale, tracker });
  }
  return out;
}

/** A reproducible pattern of skipped (true) and good steps. */
function pattern(n: number, seed: number, pInf: number): boolean[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 < pInf;
  });
}

describe('GradScaler (torch GradScaler rules)', () => {
  it('has torch defaults: init 2^16, growth 2 every 2000 good steps, backoff 0.5', () => {
    const g = new GradScaler();
    expect([g.scale, g.growthFactor, g.backoffFactor, g.growthInterval]).toEqual([2 ** 16, 2, 0.5, 2000]);
  });

  it('follows the growth / backoff / skip sequence of the rules over long random patterns', () => {
    for (const [interval, pInf] of [
      [3, 0.2],
      [7, 0.05],
      [2000, 0.0005],
    ] as const) {
      const steps = pattern(6000, interval, pInf);
      const g = new GradScaler({ growthInterval: interval });
      const want = torchRules(steps, 2 ** 16, 2, 0.5, interval);
      steps.forEach((inf, i) => {
        g.update(inf);
        expect(g.state(), `interval ${interval}, step ${i}`).toEqual({
          scale: want[i]!.scale,
          growthTracker: want[i]!.tracker,
        });
      });
    }
  });

  it('never grows to infinity (the finite check of _amp_update_scale_) and backs off below 1', () => {
    const g = new GradScaler({ initScale: 2 ** 126, growthInterval: 1 });
    for (let i = 0; i < 5; i++) g.update(false);
    expect(g.scale).toBe(2 ** 127);
    expect(g.growthTracker).toBe(0);
    for (let i = 0; i < 140; i++) g.update(true);
    expect(g.scale).toBe(Math.fround(2 ** -13));
  });

  it('unscales by float32(1/scale) and reports inf / NaN', () => {
    const g = new GradScaler({ initScale: 3 });
    const a = Float32Array.from([3, 1.5, -6]);
    expect(g.unscale([a])).toBe(false);
    const inv = Math.fround(1 / 3);
    expect(Array.from(a)).toEqual([3, 1.5, -6].map((x) => Math.fround(x * inv)));
    expect(g.unscale([Float32Array.from([1]), Float32Array.from([Infinity])])).toBe(true);
    expect(g.unscale([Float32Array.from([NaN])])).toBe(true);
  });

  it('saves and restores its state (resume continues the same sequence)', () => {
    const steps = pattern(300, 11, 0.1);
    const a = new GradScaler({ growthInterval: 5 });
    steps.slice(0, 150).forEach((s) => a.update(s));
    const b = new GradScaler({ growthInterval: 5 });
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    steps.slice(150).forEach((s) => (a.update(s), b.update(s)));
    expect(b.state()).toEqual(a.state());
    expect(() => b.loadState({ scale: -1, growthTracker: 0 })).toThrow(/loss scaler state/);
  });

  it('refuses options torch would not make sense of', () => {
    expect(() => new GradScaler({ backoffFactor: 1 })).toThrow(/backoffFactor/);
    expect(() => new GradScaler({ growthInterval: 0 })).toThrow(/growthInterval/);
  });
});
