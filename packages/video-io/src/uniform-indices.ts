/**
 * Uniform frame sampling exactly as the seed does it: `numpy.linspace(0, total-1, n).astype(int)`.
 * numpy computes `start + i*step` with `step = (stop-start)/(n-1)` in float64, sets the last
 * element exactly to `stop`, and `astype(int)` truncates toward zero; doubles in JS give the same
 * bits, so short videos repeat frames the same way (5 frames, n=8 → 0,0,1,1,2,2,3,4).
 */
import { InvalidArgumentError } from './errors.js';

/** The frame indices to sample from a video of `totalFrames` frames (length `n`, non-decreasing). */
export function uniformIndices(totalFrames: number, n: number): number[] {
  if (!Number.isInteger(totalFrames) || totalFrames < 1)
    throw new InvalidArgumentError(`totalFrames must be a positive integer, got ${totalFrames}`, { totalFrames });
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`the number of frames must be a positive integer, got ${n}`, { n });
  const stop = totalFrames - 1;
  if (n === 1) return [0]; // numpy: div = 0, so y = [0 * delta] + start
  const step = stop / (n - 1);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    // numpy: when step == 0 it computes (i / div) * delta instead, which is 0 here as well
    out[i] = Math.trunc(i * step);
  }
  out[n - 1] = stop;
  return out;
}
