/// <reference types="@webgpu/types" />
/**
 * The GPUDevice tfjs-webgpu runs on, created by us so that it has the features our kernels use.
 * tfjs-backend-webgpu 4.22 registers a factory that requests a device with only
 * `timestamp-query`; we replace that factory with one asking for the same limits plus
 * `shader-f16`, `subgroups` and `chromium-experimental-subgroup-matrix` when the adapter offers
 * them (on NVIDIA, Dawn offers f16 only with its `vulkan_enable_f16_on_nvidia` toggle: DAWN_FLAGS).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Flags for Dawn's `create()`: experimental features and f16 on NVIDIA's older drivers. */
export const DAWN_FLAGS: readonly string[] = ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia'];

/**
 * DAWN_FLAGS plus the Dawn toggles in `env.KVC_DAWN_TOGGLES` (a comma list), read when the device
 * is created: a benchmark aid for measuring what a toggle costs (e.g. `disable_robustness`,
 * bench/results/2026-11-28-tensor-core-attention-h200.md); runs never need it.
 */
export function dawnFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = env.KVC_DAWN_TOGGLES?.split(',').filter(Boolean) ?? [];
  return extra.length ? [`${DAWN_FLAGS[0]!},${extra.join(',')}`] : [...DAWN_FLAGS];
}

export const GEMM_FEATURES = [
  'shader-f16',
  'subgroups',
  'chromium-experimental-subgroup-matrix',
  'timestamp-query',
] as const;

/** Requests a device with tfjs-webgpu's limits (and the adapter's storage buffers a stage) and every GEMM_FEATURES entry the adapter has. */
export async function requestGemmDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const want = GEMM_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const l = adapter.limits;
  return adapter.requestDevice({
    requiredFeatures: want,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      // The gated NF4 GEMV with LoRA binds 10 buffers (nf4-gemv-wgsl.ts); the default is 8.
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
}

/**
 * Re-registers tfjs's `webgpu` backend so it runs on a device from requestGemmDevice. Call after
 * importing '@tensorflow/tfjs-backend-webgpu' and before tf.setBackend('webgpu').
 */
export async function registerWebgpuBackend(adapter: GPUAdapter): Promise<void> {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  // Dawn has `adapter.info`; the @webgpu/types version tfjs pins predates it.
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  tf.registerBackend('webgpu', async () => new WebGPUBackend(await requestGemmDevice(adapter), info), 3);
}
