/**
 * Runs one kernel alone for KVC_BENCH_RAMP_MS (default 400) of wall time before it is timed. The H200's clocks
 * fall while the host prepares the next kernel's operands: without this, one kernel on two operand sets measured
 * up to 2.7× apart and the "MMA only" GEMMs 104–142 instead of 505–545 TFLOP/s
 * (bench/results/2026-11-29-gemm-ramp-h200.md). `KVC_BENCH_RAMP_MS=0` gives the earlier protocol.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Dispatch } from '../../packages/models/src/gpu/webgpu-internals.js';

const rampMs = (): number => Number(process.env.KVC_BENCH_RAMP_MS ?? 400);

export async function rampClocks(
  device: GPUDevice,
  pipe: GPUComputePipeline,
  bg: GPUBindGroup,
  dispatch: Dispatch,
  reps = 20,
): Promise<void> {
  const ramp = rampMs();
  for (const start = Date.now(); Date.now() - start < ramp; ) {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(dispatch[0], dispatch[1], dispatch[2] ?? 1);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
}

/** rampClocks for an op (time-on-gpu.ts): `f` again and again, each call's work drained, for the ramp's wall time. */
export async function rampOp(f: () => tf.Tensor | tf.Tensor[], drain: () => Promise<void>): Promise<void> {
  const ramp = rampMs();
  for (const start = Date.now(); Date.now() - start < ramp; ) {
    const out = f();
    await drain();
    for (const t of Array.isArray(out) ? out : [out]) t.dispose();
  }
}
