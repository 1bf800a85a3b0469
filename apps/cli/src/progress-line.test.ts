import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Output } from './output.js';
import { progressLine, progressRate } from './progress-line.js';

afterEach(() => vi.restoreAllMocks());

describe('progress rate and ETA', () => {
  it.each([
    // [current, total, elapsedMs, perSecond, etaMs]
    [10, 40, 5000, 2, 15000],
    [40, 40, 8000, 5, 0],
    [3, 0, 1000, 3, NaN], // no total: no ETA
    [0, 10, 0, 0, NaN], // nothing done yet
  ])('%i of %i after %i ms', (current, total, elapsedMs, perSecond, etaMs) => {
    expect(progressRate({ current, total, elapsedMs })).toEqual({ perSecond, etaMs });
  });

  it('the bar shows the ETA; --json progress events carry it as etaMs', () => {
    expect(progressLine({ label: 'features', current: 10, total: 40, elapsedMs: 5000, width: 80 })).toMatch(
      /10\/40 2\.00\/s 00:05<00:15/,
    );
    const stdout = new PassThrough();
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const out = new Output({ json: true, stdout, stderr: new PassThrough() });
    const bar = out.progress('features', 40);
    now += 5000;
    bar.tick(10);
    const events = String(stdout.read())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.at(-1)).toEqual({
      type: 'progress',
      label: 'features',
      current: 10,
      total: 40,
      elapsedMs: 5000,
      perSecond: 2,
      etaMs: 15000,
    });
  });
});
