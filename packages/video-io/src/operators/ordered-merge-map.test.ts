import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, range, throwError, timer, toArray, map } from 'rxjs';
import { orderedMergeMap } from './ordered-merge-map.js';

describe('orderedMergeMap', () => {
  it('emits in input order even when later inputs finish first, never running more than `concurrency`', async () => {
    let active = 0;
    let maxActive = 0;
    const delays = [30, 5, 20, 1, 10, 0];
    const out = await lastValueFrom(
      range(0, delays.length).pipe(
        orderedMergeMap((i) => {
          active++;
          maxActive = Math.max(maxActive, active);
          return timer(delays[i]!).pipe(
            map(() => {
              active--;
              return i * 10;
            }),
          );
        }, 2),
        toArray(),
      ),
    );
    expect(out).toEqual([0, 10, 20, 30, 40, 50]);
    expect(maxActive).toBe(2);
  });
  it('handles synchronous inners and propagates errors', async () => {
    expect(
      await lastValueFrom(
        range(0, 5).pipe(
          orderedMergeMap((i) => of(i, i), 3),
          toArray(),
        ),
      ),
    ).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    await expect(
      lastValueFrom(
        range(0, 3).pipe(orderedMergeMap((i) => (i === 1 ? throwError(() => new Error('boom')) : of(i)), 2)),
      ),
    ).rejects.toThrow('boom');
  });
});
