/** Which GEMM kernel family runs: tensor cores (subgroup matrices) or core WGSL. */
export type GemmVariant = 'subgroup-matrix' | 'portable';
