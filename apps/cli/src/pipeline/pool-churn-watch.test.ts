import { describe, expect, it } from 'vitest';
import type { GpuPoolStats } from '@kvc/models';
import { CHURN_BUFFERS, poolChurnWatch } from './pool-churn-watch.js';

const at = (destroyedBuffers: number): GpuPoolStats => ({
  bytesInUse: 0,
  bytesAllocated: 0,
  freeBytes: 0,
  freeBuffers: 0,
  destroyedBuffers,
  destroyedBytes: destroyedBuffers * 2 ** 20,
  peakBytesAllocated: 0,
  peakBytesInUse: 0,
  limit: { maxFreeBytes: 2 * 2 ** 30 },
});

describe('poolChurnWatch', () => {
  it('speaks once, at the first batch that destroyed CHURN_BUFFERS or more', () => {
    const seq = [100, 110, 110 + CHURN_BUFFERS - 1, 110 + 2 * CHURN_BUFFERS, 1000];
    let i = 0;
    const w = poolChurnWatch(() => at(i < seq.length ? seq[i]! : 1000));
    const said: (string | undefined)[] = [];
    for (i = 1; i < seq.length; i++) said.push(w.afterBatch());
    // 10, 49: quiet; then the batch of CHURN_BUFFERS + 1; then never again
    expect(said.map((s) => s !== undefined)).toEqual([false, false, true, false]);
    expect(said[2]).toContain(`destroyed ${CHURN_BUFFERS + 1} buffers`);
    expect(said[2]).toContain('bound 2.0 GiB');
    expect(said[2]).toContain('gpuPoolGiB');
  });
  it('names gpuMemoryGiB when the pool is capped by allocated bytes', () => {
    let n = 0;
    const w = poolChurnWatch(() => ({ ...at(n), limit: { maxFreeBytes: Infinity, maxAllocatedBytes: 64 * 2 ** 30 } }));
    n += CHURN_BUFFERS;
    const said = w.afterBatch();
    expect(said).toContain('64.0 GiB allocated at most');
    expect(said).toContain('raise gpuMemoryGiB');
  });
  it('counts from the first batch (destroyed before the watch began does not count), silent without a pool', () => {
    let n = 5000;
    const w = poolChurnWatch(() => at(n));
    n += CHURN_BUFFERS - 1;
    expect(w.afterBatch()).toBeUndefined();
    expect(poolChurnWatch(() => undefined).afterBatch()).toBeUndefined();
  });
});
