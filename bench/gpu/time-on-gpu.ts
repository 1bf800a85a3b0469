/**
 * Wall-clock ms per call of a GPU op, the way the kernel benches time it: one warm-up call
 * (shader compiles), the op again for KVC_BENCH_RAMP_MS of wall time (ramp-clocks.ts: the clocks; the
 * first timing of flash-attn-bench swung 29 → 59 ms without it), `reps` calls, the queue drained again. Webgpu only.
 * "Drained" submits the pending commands first: tfjs and our kernels batch dispatches into one command
 * buffer that only a full batch or a read submits, so waiting on the queue alone would let an op's work
 * spill into the next measurement.
 */
import * as tf from '@tensorflow/tfjs-core';
import { submitPending, webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';
import { rampOp } from './ramp-clocks.js';

/** Submits what tfjs and our kernels have recorded (both wait for a batch), then waits for the queue. */
export function drainGpu(): Promise<void> {
  const backend = webgpuBackend();
  submitPending(backend);
  return backend.device.queue.onSubmittedWorkDone();
}

export async function timeOnGpu(f: () => tf.Tensor | tf.Tensor[], reps: number): Promise<number> {
  tf.dispose(f());
  await drainGpu();
  await rampOp(f, drainGpu);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.dispose(f());
  await drainGpu();
  return (performance.now() - t0) / reps;
}
