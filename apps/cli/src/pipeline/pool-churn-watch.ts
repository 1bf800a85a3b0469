/**
 * Says once when the GPU buffer pool churns while features are encoded: buffers the pool destroys
 * because its bound (`gpuPoolGiB` or `gpuMemoryGiB`) is full are created again by the next batch, and on an H200 that
 * made CLIP ViT-L over 64 frames 7× slower (2.4 s against 0.35 s with a pool holding one layer's
 * intermediates; bench/results/2026-11-28-cache-clip-h200.md). Silent where there is no pool (cpu, wasm).
 */
import type { GpuPoolStats } from '@kvc/models';

/** Buffers destroyed within one batch from which the watch speaks: a few are normal as sizes change. */
export const CHURN_BUFFERS = 50;

export interface PoolChurnWatch {
  /** Call after each batch: the warning, the first time a batch destroyed CHURN_BUFFERS or more. */
  afterBatch(): string | undefined;
}

export function poolChurnWatch(stats: () => GpuPoolStats | undefined): PoolChurnWatch {
  let last = stats()?.destroyedBuffers;
  let said = false;
  return {
    afterBatch() {
      const s = stats();
      if (!s) return undefined;
      const destroyed = s.destroyedBuffers - (last ?? s.destroyedBuffers);
      last = s.destroyedBuffers;
      if (said || destroyed < CHURN_BUFFERS) return undefined;
      said = true;
      const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
      const [bound, raise] =
        s.limit.maxAllocatedBytes === undefined
          ? [`bound ${gib(s.limit.maxFreeBytes)} GiB`, 'raise gpuPoolGiB (e.g. gpuPoolGiB=16)']
          : [`${gib(s.limit.maxAllocatedBytes)} GiB allocated at most`, 'raise gpuMemoryGiB'];
      return (
        `the GPU buffer pool (${bound}) destroyed ${destroyed} buffers during one batch, and the next ` +
        `batch creates them again: ${raise} or lower features.batchVideos`
      );
    },
  };
}
