/**
 * The process's GPU pool policy: the bound `initBackend('webgpu')` puts on tfjs-webgpu's buffer
 * pool (buffer-pool.ts), changed with `setGpuPoolLimit`, read with `gpuPoolStats`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  boundBufferPool,
  bufferPoolStats,
  checkGpuPoolLimit,
  DEFAULT_GPU_POOL_LIMIT,
  resetBufferPoolPeak,
  type BufferManagerLike,
  type GpuPoolLimit,
  type GpuPoolStats,
} from './buffer-pool.js';

let current: GpuPoolLimit = DEFAULT_GPU_POOL_LIMIT;

/** The webgpu backend's buffer manager, when webgpu is the active backend. */
function activeManager(): BufferManagerLike | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  return (tf.backend() as unknown as { bufferManager?: BufferManagerLike }).bufferManager;
}

/**
 * Sets how many freed GPU bytes tfjs-webgpu may keep for reuse (default 2 GiB), now on the active
 * webgpu backend and for any initialised later. `Infinity` restores tfjs's keep-everything pool.
 */
export function setGpuPoolLimit(limit: GpuPoolLimit): void {
  checkGpuPoolLimit(limit); // before it is kept: a later initBackend would apply it
  current = limit;
  const m = activeManager();
  if (m) boundBufferPool(m, limit);
}

/** The bound in force (what initBackend applies). */
export function gpuPoolLimit(): GpuPoolLimit {
  return current;
}

/** Applies the current bound to the active webgpu backend (initBackend calls this). */
export function applyGpuPoolLimit(): void {
  const m = activeManager();
  if (m) boundBufferPool(m, current);
}

/** The pool's counters on the active webgpu backend, or undefined on other backends. */
export function gpuPoolStats(): GpuPoolStats | undefined {
  const m = activeManager();
  return m ? bufferPoolStats(m) : undefined;
}

/** Starts a new peak of `gpuPoolStats().peakBytesAllocated` (benchmarks: one peak per run). */
export function resetGpuPoolPeak(): void {
  const m = activeManager();
  if (m) resetBufferPoolPeak(m);
}
