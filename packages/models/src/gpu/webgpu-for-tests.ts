/**
 * Test helper: activates the webgpu backend (lavapipe on CPU machines, see .ci/run). When no
 * adapter exists the GPU tests skip with a message on a developer machine, but fail where
 * KVC_REQUIRE_WEBGPU=1 (CI installs lavapipe and sets it: a missing adapter there is a bug).
 */
import { initBackend } from '../engine/init-backend.js';

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
