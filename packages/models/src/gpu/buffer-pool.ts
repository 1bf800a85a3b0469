/// <reference types="@webgpu/types" />
/**
 * A bound on tfjs-webgpu's pool of freed GPU buffers (kvc issue #12). tfjs-backend-webgpu 4.22's
 * BufferManager keeps every released buffer, keyed by its exact size and usage, and never
 * destroys one: a workload whose shapes change (a growing KV cache, query chunks of several sizes,
 * layers of several widths) leaves behind buffers of sizes it will never ask for again. At Qwen3-8B
 * widths it held 75 GiB for 7.7 GiB of live tensors, and generation ran out of the H100's 80 GB.
 *
 * We patch the backend's manager in place (its fields stay tfjs's, so `tf.memory()` still reports
 * them): a released buffer still goes to the free list, where the next request of its size reuses
 * it, but the oldest free buffers are destroyed once the free bytes pass `maxFreeBytes`, once
 * one size holds more than `maxFreePerSize`, or when a new buffer would take the allocated bytes past
 * `maxAllocatedBytes`. Destroying is safe for work already submitted: WebGPU
 * frees the memory when the queue is done with it, and tfjs releases a buffer only after the
 * commands using it are submitted (commandQueueOwnedIds). Dawn gives a destroyed buffer's memory
 * back as soon as that work is done, even while JavaScript keeps running: 24 × 1 GiB created,
 * used and destroyed in one synchronous loop peaked at 3.1 GB on the H100
 * (bench/gpu/dawn-deferred-free.mjs, bench/results/2026-11-27-seed-memory-h100.md).
 */

/** How many freed bytes the pool may keep for reuse. */
export interface GpuPoolLimit {
  /** Free (pooled) bytes kept at most; the least recently freed go first. */
  readonly maxFreeBytes: number;
  /** Free buffers of one size and usage kept at most (default: no count limit). */
  readonly maxFreePerSize?: number;
  /**
   * Bytes allocated (live and free) at which a request that no free buffer serves first destroys the least recently
   * freed ones until it fits (default: no such bound). With it the pool can keep far more than `maxFreeBytes` would
   * allow a fixed share, and gives it back exactly when live tensors need the memory: a pool bounded only by its free
   * bytes re-created 300 GiB of buffers a step of Qwen3-8B at 8 layers (6 GiB kept), 12 of the step's 12.6 s in
   * `createBuffer` and in the submits that free the destroyed ones; capped at 48 GiB, 3.5 s
   * (bench/results/2026-11-29-pool-cap-h200.md). What it does not bound: a destroyed buffer's memory comes back only
   * when the GPU has run the work queued before it, and a training step is recorded far ahead of the GPU, so a cap
   * that forces many evictions a step adds them on top (a cap near the live peak ran out of an H200's 141 GB before
   * the training backward was paced: `maxDestroyedInFlightBytes`).
   */
  readonly maxAllocatedBytes?: number;
  /**
   * Bytes of destroyed buffers that the GPU has not yet given back (it runs behind the host) that a paced backward
   * lets pile up before it waits on the GPU (gpu/gpu-pacer.ts; default 4 GiB; Infinity: never waits).
   */
  readonly maxDestroyedInFlightBytes?: number;
}

/**
 * 2 GiB: safe on a laptop GPU. Not enough for a seed-sized training step, which frees ~18 GiB and asks
 * for it again (0.6B on an H200: 15.4 s a step at 2 GiB, 5.9 s at 16 GiB, re-creating ~4,000 buffers
 * a step at 2 GiB); the CLI's `gpuPoolGiB` raises it (at 16 the 8B step's device memory once grew past 141 GB,
 * far beyond what this pool counts: the destroyed buffers wait for the GPU, which runs behind the host's recording
 * of the step; see `maxAllocatedBytes` and `maxDestroyedInFlightBytes`).
 */
export const DEFAULT_GPU_POOL_LIMIT: GpuPoolLimit = { maxFreeBytes: 2 * 2 ** 30 };

/** The fields and methods of tfjs-webgpu's BufferManager that the policy reads and replaces. */
export interface BufferManagerLike {
  freeBuffers: Map<string, GPUBuffer[]>;
  usedBuffers: Map<string, GPUBuffer[]>;
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer(size: number, usage: GPUBufferUsageFlags, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
  getNumFreeBuffers(): number;
}

/** What the pool holds now (the manager's own counters plus the bound). */
export interface GpuPoolStats {
  readonly bytesInUse: number;
  readonly bytesAllocated: number;
  readonly freeBytes: number;
  readonly freeBuffers: number;
  readonly destroyedBuffers: number;
  /** Bytes of every buffer destroyed since the bound was put on (the pacer's clock). */
  readonly destroyedBytes: number;
  /** The most bytes allocated at once since the bound was put on, or since resetBufferPoolPeak. */
  readonly peakBytesAllocated: number;
  /** The most bytes held by live tensors at once (allocated minus free), over the same span. */
  readonly peakBytesInUse: number;
  readonly limit: GpuPoolLimit;
}

interface Bounded {
  limit: GpuPoolLimit;
  /** Free buffers in the order they were released (Set keeps insertion order). */
  readonly order: Set<GPUBuffer>;
  freeBytes: number;
  destroyed: number;
  destroyedBytes: number;
  peak: number;
  peakInUse: number;
}

const bounded = new WeakMap<BufferManagerLike, Bounded>();
const keyOf = (b: GPUBuffer): string => `${b.size}_${b.usage}`;

/** A RangeError for a bound that is negative or NaN. */
export function checkGpuPoolLimit(limit: GpuPoolLimit): void {
  const fields = ['maxFreeBytes', 'maxFreePerSize', 'maxAllocatedBytes', 'maxDestroyedInFlightBytes'] as const;
  for (const f of fields) {
    const v = limit[f];
    if ((v !== undefined || f === 'maxFreeBytes') && !(v! >= 0))
      throw new RangeError(`GPU pool: ${f} must be >= 0, got ${v}`);
  }
}

/** Bounds `manager`'s pool by `limit` (again: changes the bound) and trims it now. */
export function boundBufferPool(manager: BufferManagerLike, limit: GpuPoolLimit): void {
  checkGpuPoolLimit(limit);
  const known = bounded.get(manager);
  if (known) {
    known.limit = limit;
    trim(manager, known, undefined);
    return;
  }
  const state: Bounded = {
    limit,
    order: new Set(),
    freeBytes: 0,
    destroyed: 0,
    destroyedBytes: 0,
    peak: manager.numBytesAllocated,
    peakInUse: manager.numBytesUsed,
  };
  for (const list of manager.freeBuffers.values())
    for (const b of list) {
      state.order.add(b);
      state.freeBytes += b.size;
    }
  bounded.set(manager, state);
  const acquire = manager.acquireBuffer.bind(manager);
  const release = manager.releaseBuffer.bind(manager);
  manager.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    const free = reuse ? manager.freeBuffers.get(`${size}_${usage}`) : undefined;
    const reused = free?.length ? free[free.length - 1] : undefined;
    if (!reused) makeRoom(manager, state, size);
    const buffer = acquire(size, usage, mappedAtCreation, reuse);
    if (reused === buffer) {
      state.order.delete(buffer);
      state.freeBytes -= buffer.size;
    }
    state.peak = Math.max(state.peak, manager.numBytesAllocated);
    state.peakInUse = Math.max(state.peakInUse, manager.numBytesUsed);
    return buffer;
  };
  manager.releaseBuffer = (buffer, reuse = true) => {
    const before = manager.getNumFreeBuffers();
    release(buffer, reuse);
    if (manager.getNumFreeBuffers() === before) return; // destroyed by tfjs, or the manager was disposed
    state.order.add(buffer);
    state.freeBytes += buffer.size;
    trim(manager, state, keyOf(buffer));
  };
  trim(manager, state, undefined);
}

/** Destroys the least recently freed buffers until the bound holds. */
function trim(manager: BufferManagerLike, state: Bounded, key: string | undefined): void {
  const perSize = state.limit.maxFreePerSize;
  if (key !== undefined && perSize !== undefined) {
    const list = manager.freeBuffers.get(key)!;
    while (list.length > perSize) destroyFree(manager, state, list[0]!);
  }
  for (const b of state.order) {
    if (state.freeBytes <= state.limit.maxFreeBytes) break;
    destroyFree(manager, state, b);
  }
}

/** Before a new buffer of `size` is created: destroys the least recently freed ones while it would pass maxAllocatedBytes. */
function makeRoom(manager: BufferManagerLike, state: Bounded, size: number): void {
  const cap = state.limit.maxAllocatedBytes;
  if (cap === undefined) return;
  for (const b of state.order) {
    if (manager.numBytesAllocated + size <= cap) break;
    destroyFree(manager, state, b);
  }
}

function destroyFree(manager: BufferManagerLike, state: Bounded, b: GPUBuffer): void {
  const list = manager.freeBuffers.get(keyOf(b))!;
  list.splice(list.indexOf(b), 1);
  state.order.delete(b);
  state.freeBytes -= b.size;
  state.destroyed++;
  state.destroyedBytes += b.size;
  // tfjs counts free buffers in a private field; keep getNumFreeBuffers() true.
  (manager as unknown as { numFreeBuffers: number }).numFreeBuffers--;
  manager.numBytesAllocated -= b.size;
  b.destroy();
}

/** The pool's counters, or undefined when the manager was never bounded. */
export function bufferPoolStats(manager: BufferManagerLike): GpuPoolStats | undefined {
  const s = bounded.get(manager);
  if (!s) return undefined;
  return {
    bytesInUse: manager.numBytesUsed,
    bytesAllocated: manager.numBytesAllocated,
    freeBytes: s.freeBytes,
    freeBuffers: manager.getNumFreeBuffers(),
    destroyedBuffers: s.destroyed,
    destroyedBytes: s.destroyedBytes,
    peakBytesAllocated: s.peak,
    peakBytesInUse: s.peakInUse,
    limit: s.limit,
  };
}

/** Starts a new peak (`peakBytesAllocated` becomes what is allocated now). */
export function resetBufferPoolPeak(manager: BufferManagerLike): void {
  const s = bounded.get(manager);
  if (!s) return;
  s.peak = manager.numBytesAllocated;
  s.peakInUse = manager.numBytesUsed;
}
