/// <reference types="@webgpu/types" />
/**
 * Reading timestamp queries written as (begin, end) pairs of passes, in milliseconds: the profiles of recorded steps
 * (recorded-step.ts) and of our own dispatches (own-kernel-profile.ts).
 */

// GPUBufferUsage bits (not every runtime defines the global before a device exists).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const QUERY_RESOLVE = 0x200;

/**
 * Encodes into `enc` the resolve of the first `pairs` pairs of `set` and their copy to a mappable buffer. Once `enc`
 * is submitted, the returned function maps it and gives each pair's end − begin in ms, then frees its buffers.
 */
export function readTimestampPairs(
  device: GPUDevice,
  enc: GPUCommandEncoder,
  set: GPUQuerySet,
  pairs: number,
): () => Promise<number[]> {
  const bytes = 16 * pairs;
  const resolve = device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
  enc.resolveQuerySet(set, 0, 2 * pairs, resolve, 0);
  enc.copyBufferToBuffer(resolve, 0, read, 0, bytes);
  return async () => {
    try {
      await read.mapAsync(MAP_READ);
      const ns = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      return Array.from({ length: pairs }, (_, i) => Number(ns[2 * i + 1]! - ns[2 * i]!) / 1e6);
    } finally {
      resolve.destroy();
      read.destroy();
    }
  };
}
