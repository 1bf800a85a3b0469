/**
 * tfjs-backend-webgpu never gives memory back: a disposed tensor's buffer goes to a pool keyed
 * by exact byte size and is reused only for that size. A training step makes buffers of many
 * sizes (query chunks, the last short chunk, LoRA ranks, row shards), so the pool grows to
 * several times what is alive at once: 75 GiB pooled for 7.7 GiB of live tensors in the
 * seed's batch-4 step at Qwen3-8B widths on an H100 (bench/results/2026-11-27-seed-sequence-h100.md).
 * Releasing the free buffers after each checkpointed layer's backward bounds the pool by one
 * layer's working set; Dawn re-creates buffers cheaply.
 */
import * as tf from '@tensorflow/tfjs-core';

interface PooledBuffer {
  readonly size: number;
  destroy(): void;
}

/** The part of tfjs-backend-webgpu's BufferManager this file uses. */
export interface BufferManagerLike {
  freeBuffers: Map<string, PooledBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

function bufferManager(): BufferManagerLike | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const bm = (tf.backend() as unknown as { bufferManager?: Partial<BufferManagerLike> }).bufferManager;
  // Only touch the pool whose shape we know (tfjs-backend-webgpu 4.x); anything else is left alone.
  if (!bm || !(bm.freeBuffers instanceof Map) || typeof bm.numBytesAllocated !== 'number' || typeof bm.numFreeBuffers !== 'number') return undefined;
  return bm as BufferManagerLike;
}

/**
 * Destroys the WebGPU backend's pooled free buffers; returns the bytes released (0 on other
 * backends). Live tensors are untouched. The pool's keys stay (with empty lists): the buffer
 * manager treats an empty key map as "disposed" and would stop pooling.
 */
export function releaseFreeGpuBuffers(): number {
  const bm = bufferManager();
  return bm ? releasePooledBuffers(bm) : 0;
}

/** The release itself, on any buffer manager of tfjs-backend-webgpu's shape. */
export function releasePooledBuffers(bm: BufferManagerLike): number {
  let bytes = 0;
  for (const list of bm.freeBuffers.values()) {
    for (const b of list) {
      bytes += b.size;
      b.destroy();
    }
    bm.numFreeBuffers -= list.length;
    list.length = 0;
  }
  bm.numBytesAllocated -= bytes;
  return bytes;
}
