/** f16 GEMM kernels on WebGPU (tensor cores through subgroup matrices, or core WGSL). */
export { gemm, gemmKernel, gemmVariant, setGemmVariant } from './gemm.js';
export type { GemmOptions } from './gemm.js';
export type { GemmVariant } from './gemm-variant.js';
export { selectGemmVariant } from './select-gemm-variant.js';
export type { GemmSelection } from './select-gemm-variant.js';
export { F16Matrix } from './f16-matrix.js';
export { batchedGemm } from './batched-gemm.js';
export { F16RowMatrix, f16GatherRows } from './f16-embedding.js';
export { frozenF16MatMul } from './frozen-f16-matmul.js';
export { f16GemmBound } from './f16-tolerance.js';
export { PACK_ALIGN, padTo, packedDims } from './gemm-layout.js';
export type { GemmShape } from './gemm-layout.js';
export { DEFAULT_SUBGROUP_MATRIX_TILING, defaultSubgroupMatrixTiling } from './gemm-subgroup-matrix-wgsl.js';
export type { SubgroupMatrixTiling } from './gemm-subgroup-matrix-wgsl.js';
export { DAWN_FLAGS, GEMM_FEATURES, dawnFlags, registerWebgpuBackend, requestGemmDevice } from './webgpu-device.js';
export { gpuPoolLimit, gpuPoolStats, resetGpuPoolPeak, setGpuPoolLimit } from './buffer-pool-policy.js';
export { DEFAULT_GPU_POOL_LIMIT } from './buffer-pool.js';
export { DEFAULT_MAX_DESTROYED_IN_FLIGHT_BYTES, gpuPacingTotals, type GpuPacingTotals } from './gpu-pacer.js';
export type { GpuPoolLimit, GpuPoolStats } from './buffer-pool.js';
// NF4 frozen weights (kvc issue #13): dequantized inside the GEMM
export { nf4Gemm, nf4GemmKernel, nf4GemmVariant, setNf4GemmVariant } from './nf4-gemm.js';
export type { Nf4GemmOptions } from './nf4-gemm.js';
export type { Nf4GemmShape } from './nf4-gemm-portable-wgsl.js';
export { DEFAULT_NF4_SUBGROUP_MATRIX_TILING } from './nf4-gemm-subgroup-matrix-wgsl.js';
export type { Nf4SubgroupMatrixTiling } from './nf4-gemm-subgroup-matrix-wgsl.js';
export { frozenNf4MatMul } from './nf4-frozen-matmul.js';
export { dequantizeNf4OnGpu } from './nf4-dequantize.js';
