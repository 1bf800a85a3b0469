/**
 * Keeps the host's recording of a backward pass from running too far ahead of the GPU, measured
 * in what that lead costs: the bytes of buffers the pool destroyed that the GPU has not yet given
 * back. WebGPU frees a destroyed buffer only when the GPU has run the work queued before its
 * destroy(), and a training step is recorded seconds ahead of the GPU, so a pool that has to
 * destroy buffers during a step (a cap near the step's live bytes) piled them up: ~75 GB over
 * the cap on an H200 at Qwen3-8B (bench/results/2026-11-29-pool-cap-h200.md).
 *
 * The pacer runs between the backward's tape nodes (engine/streamed-grads.ts). When the pool has
 * destroyed buffers since its last fence it submits tfjs's pending commands and takes a fence
 * (queue.onSubmittedWorkDone: everything destroyed before it is given back once it resolves).
 * While more than `maxDestroyedInFlightBytes` were destroyed after the newest resolved fence, it
 * awaits the oldest pending one. A step that destroys nothing takes one fence, at its start, and
 * waits on it once (what came before the step is all it covers: 9–36 ms a step of Qwen3-8B on an
 * H200, bench/results/2026-11-29-paced-backward-h200.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackwardPace } from '../engine/streamed-grads.js';
import { gpuPoolStats } from './buffer-pool-policy.js';
import { submitPending, webgpuBackend } from './webgpu-internals.js';

/** maxDestroyedInFlightBytes when the pool's limit leaves it out. */
export const DEFAULT_MAX_DESTROYED_IN_FLIGHT_BYTES = 4 * 2 ** 30;

/** What the pacers of this process have done (benchmarks print it). */
export interface GpuPacingTotals {
  /** Fences taken (one per tape node after which the pool had destroyed buffers). */
  readonly fences: number;
  /** Times a backward waited on the GPU, and for how long in all. */
  readonly waits: number;
  readonly waitedMs: number;
}

let totals: GpuPacingTotals = { fences: 0, waits: 0, waitedMs: 0 };

export function gpuPacingTotals(): GpuPacingTotals {
  return totals;
}

/**
 * A pace for one backward on the active webgpu backend with a bounded pool; undefined on other
 * backends (nothing runs behind the host there) or when the bound is Infinity.
 */
export function gpuPacer(): BackwardPace | undefined {
  const start = gpuPoolStats();
  if (!start || tf.getBackend() !== 'webgpu') return undefined;
  const max = start.limit.maxDestroyedInFlightBytes ?? DEFAULT_MAX_DESTROYED_IN_FLIGHT_BYTES;
  if (max === Infinity) return undefined;
  const backend = webgpuBackend();
  const fences: Promise<void>[] = [];
  // What the newest fence covers, and what the newest resolved one does. Nothing is known given
  // back at first: the fence taken now covers what earlier work destroyed.
  let fencedAt = -1;
  let returnedAt = -Infinity;
  const fence = (at: number) => {
    submitPending(backend);
    fences.push(backend.device.queue.onSubmittedWorkDone().then(() => void (returnedAt = Math.max(returnedAt, at))));
    fencedAt = at;
    totals = { ...totals, fences: totals.fences + 1 };
  };
  fence(start.destroyedBytes);
  return async (): Promise<void> => {
    const destroyed = gpuPoolStats()?.destroyedBytes ?? 0;
    if (destroyed > fencedAt) fence(destroyed);
    if (destroyed - returnedAt <= max) return;
    const t0 = performance.now();
    while (destroyed - returnedAt > max && fences.length) await fences.shift();
    totals = { ...totals, waits: totals.waits + 1, waitedMs: totals.waitedMs + performance.now() - t0 };
  };
}
