/// <reference types="@webgpu/types" />
/**
 * Buffers a recorded step (recorded-step.ts) replays into must never be handed to another tensor while it
 * lives: its commands would write over that tensor. tfjs-webgpu's BufferManager returns a released buffer to
 * its free list, where the next request of that size takes it. These hooks, installed once on the manager,
 * stop that for pinned buffers: a pinned buffer released by its tensor is held here, out of the pool, until
 * the last pin on it goes, and only then released to the manager (so tfjs's accounting sees it in use
 * meanwhile, as it is).
 *
 * During a capture the hooks also reuse buffers within the step: a buffer the recorded commands use that
 * its tensor releases is held, and the capture's next request of its size and usage takes it back (as the
 * pool would have). Replays run the same commands in the same order, so that reuse stays correct.
 */
import type { BufferManagerLike } from './buffer-pool.js';

/** What a capture asks of the manager while it records (recorded-step.ts). */
export interface CaptureArena {
  /** A held buffer for this request, or undefined (the manager's pool then serves it). */
  acquire(size: number, usage: GPUBufferUsageFlags): GPUBuffer | undefined;
  /** Every buffer handed out while the arena is on (its own or the pool's). */
  acquired(buffer: GPUBuffer): void;
  /** true: the arena holds the released buffer; false: the manager takes it. */
  release(buffer: GPUBuffer): boolean;
}

interface Pins {
  readonly count: Map<GPUBuffer, number>;
  /** Pinned buffers their tensors released: out of the pool until unpinned. */
  readonly held: Set<GPUBuffer>;
  arena: CaptureArena | undefined;
  readonly release: (buffer: GPUBuffer, reuse?: boolean) => void;
}

const installed = new WeakMap<BufferManagerLike, Pins>();

function pinsOf(manager: BufferManagerLike): Pins {
  let p = installed.get(manager);
  if (p) return p;
  const acquire = manager.acquireBuffer.bind(manager);
  const release = manager.releaseBuffer.bind(manager);
  const pins: Pins = { count: new Map(), held: new Set(), arena: undefined, release };
  manager.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    const arena = pins.arena;
    const b =
      (!mappedAtCreation && reuse ? arena?.acquire(size, usage) : undefined) ??
      acquire(size, usage, mappedAtCreation, reuse);
    arena?.acquired(b);
    return b;
  };
  manager.releaseBuffer = (buffer, reuse = true) => {
    if (pins.arena?.release(buffer)) return;
    if (pins.count.has(buffer)) pins.held.add(buffer);
    else release(buffer, reuse);
  };
  installed.set(manager, (p = pins));
  return p;
}

/** Routes `manager`'s requests and releases through `arena` until the returned function is called. */
export function withArena(manager: BufferManagerLike, arena: CaptureArena): () => void {
  const pins = pinsOf(manager);
  if (pins.arena) throw new Error('GPU step capture: a capture is already recording');
  pins.arena = arena;
  return () => {
    pins.arena = undefined;
  };
}

/**
 * Pins `buffers` (each once per call); `released` are ones already released by their tensors (the arena's),
 * held from now on. Returns the unpin, which releases every held buffer whose last pin it was.
 */
export function pinBuffers(
  manager: BufferManagerLike,
  buffers: Iterable<GPUBuffer>,
  released: Iterable<GPUBuffer>,
): () => void {
  const pins = pinsOf(manager);
  const mine = [...new Set(buffers)];
  for (const b of mine) pins.count.set(b, (pins.count.get(b) ?? 0) + 1);
  for (const b of released) pins.held.add(b);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const b of mine) {
      const n = pins.count.get(b)! - 1;
      if (n > 0) {
        pins.count.set(b, n);
        continue;
      }
      pins.count.delete(b);
      if (pins.held.delete(b)) pins.release(b);
    }
  };
}

/** How many buffers are pinned now (tests, leak checks). */
export function pinnedBufferCount(manager: BufferManagerLike): number {
  return installed.get(manager)?.count.size ?? 0;
}
