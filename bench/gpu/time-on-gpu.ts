/**
 * Wall-clock ms per call of a GPU op, the way the kernel benches time it: one warm-up call
 * (shader compiles), the queue drained, `reps` calls, the queue drained again. Webgpu only.
 * "Drained" submits tfjs's pending commands first: tfjs batches small kernels into one command
 * buffer that only its next large kernel or a read submits, so waiting on the queue alone would
 * let a light op's work spill into the next measurement.
 */
import * as tf from '@tensorflow/tfjs-core';
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';

export async function timeOnGpu(f: () => tf.Tensor | tf.Tensor[], reps: number): Promise<number> {
  const backend = webgpuBackend();
  const drained = () => {
    // tfjs keeps an open compute pass in its encoder: end it, as its own reads do, before submitting.
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    return backend.device.queue.onSubmittedWorkDone();
  };
  tf.dispose(f());
  await drained();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.dispose(f());
  await drained();
  return (performance.now() - t0) / reps;
}
