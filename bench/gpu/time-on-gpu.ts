/**
 * Wall-clock ms per call of a GPU op, the way the kernel benches time it: one warm-up call
 * (shader compiles), the queue drained, `reps` calls, the queue drained again. Webgpu only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';

export async function timeOnGpu(f: () => tf.Tensor | tf.Tensor[], reps: number): Promise<number> {
  const device = webgpuBackend().device;
  tf.dispose(f());
  await device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.dispose(f());
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / reps;
}
