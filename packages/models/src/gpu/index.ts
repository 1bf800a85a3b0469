/** f16 GEMM kernels on WebGPU (tensor cores through subgroup matrices, or core WGSL). */
export { gemm, gemmKernel, gemmVariant, setGemmVariant } from './gemm.js';
export type { GemmOptions } from './gemm.js';
export type { GemmVariant } from './gemm-variant.js';
export { selectGemmVariant } from './select-gemm-variant.js';
export type { GemmSelection } from './select-gemm-variant.js';
export { F16Matrix } from './f16-matrix.js';
export { F16RowMatrix, f16GatherRows } from './f16-embedding.js';
export { frozenF16MatMul } from './frozen-f16-matmul.js';
export { f16GemmBound } from './f16-tolerance.js';
export { PACK_ALIGN, padTo, packedDims } from './gemm-layout.js';
export type { GemmShape } from './gemm-layout.js';
export { DEFAULT_SUBGROUP_MATRIX_TILING } from './gemm-subgroup-matrix-wgsl.js';
export type { SubgroupMatrixTiling } from './gemm-subgroup-matrix-wgsl.js';
export { DAWN_FLAGS, GEMM_FEATURES, registerWebgpuBackend, requestGemmDevice } from './webgpu-device.js';
export { gpuPoolLimit, gpuPoolStats, resetGpuPoolPeak, setGpuPoolLimit } from './buffer-pool-policy.js';
export { DEFAULT_GPU_POOL_LIMIT } from './buffer-pool.js';
export type { GpuPoolLimit, GpuPoolStats } from './buffer-pool.js';
