import { describe, expect, it } from 'vitest';
import { releaseFreeGpuBuffers, releasePooledBuffers, type BufferManagerLike } from './gpu-buffer-pool.js';

function pool(sizes: Record<string, number[]>): { bm: BufferManagerLike; destroyed: number[] } {
  const destroyed: number[] = [];
  const freeBuffers = new Map(Object.entries(sizes).map(([k, list]) => [k, list.map((size) => ({ size, destroy: () => destroyed.push(size) }))]));
  const free = Object.values(sizes).flat();
  return { bm: { freeBuffers, numFreeBuffers: free.length, numBytesAllocated: 10_000 + free.reduce((a, b) => a + b, 0) }, destroyed };
}

describe('releasePooledBuffers', () => {
  it('destroys every free buffer, keeps the keys, and accounts bytes and counts', () => {
    const { bm, destroyed } = pool({ '256_132': [256, 256], '1024_140': [1024], '64_132': [] });
    expect(releasePooledBuffers(bm)).toBe(1536);
    expect(destroyed.sort()).toEqual([1024, 256, 256]);
    expect(bm.numFreeBuffers).toBe(0);
    // Only the live (used) bytes remain allocated.
    expect(bm.numBytesAllocated).toBe(10_000);
    // Keys stay: tfjs-webgpu stops pooling once its free map is empty.
    expect([...bm.freeBuffers.keys()]).toEqual(['256_132', '1024_140', '64_132']);
    expect([...bm.freeBuffers.values()].every((l) => l.length === 0)).toBe(true);
    expect(releasePooledBuffers(bm)).toBe(0);
  });

  it('is a no-op off WebGPU', () => {
    expect(releaseFreeGpuBuffers()).toBe(0);
  });
});
