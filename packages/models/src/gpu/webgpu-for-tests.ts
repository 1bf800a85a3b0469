/**
 * Test helper: activates the webgpu backend (lavapipe on CPU machines, see .ci/run). When no
 * adapter exists the GPU tests skip with a message on a developer machine, but fail where
 * KVC_REQUIRE_WEBGPU=1 (CI installs lavapipe and sets it: a missing adapter there is a bug).
 */
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/init-backend.js';
import { ownDispatchCount, webgpuBackend } from './webgpu-internals.js';

export async function webgpuForTests(): Promise<boolean> {
  try {
    await initBackend('webgpu');
    return true;
  } catch (err) {
    if (process.env.KVC_REQUIRE_WEBGPU === '1') throw err;
    const why = (err as Error).message;
    console.warn(`skipping WebGPU kernel tests: ${why} (set VK_DRIVER_FILES to lavapipe's lvp_icd.json)`);
    return false;
  }
}

/** How many dispatches of our own kernels `f` records (what it returns is disposed). */
export function ownDispatchesOf(f: () => tf.Tensor | tf.Tensor[]): number {
  const before = ownDispatchCount();
  tf.dispose(f());
  return ownDispatchCount() - before;
}

/**
 * Watches the shader modules our own kernels compile from now on (tfjs's declare their uniforms, ours read
 * storage buffers alone) until `stop()`: tests and the compile census check that a new shape compiles nothing.
 */
export function watchOurCompiles(): { count: () => number; codes: readonly string[]; stop: () => void } {
  const device = webgpuBackend().device;
  const codes: string[] = [];
  const create = device.createShaderModule.bind(device);
  (device as unknown as Record<string, unknown>).createShaderModule = (d: GPUShaderModuleDescriptor) => {
    if (!d.code.includes('struct Uniforms')) codes.push(d.code);
    return create(d);
  };
  return {
    count: () => codes.length,
    codes,
    stop: () => void delete (device as unknown as Record<string, unknown>).createShaderModule,
  };
}
