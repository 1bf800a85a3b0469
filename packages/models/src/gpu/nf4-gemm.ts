/**
 * `nf4Gemm`: C = A · op(W) on the webgpu backend for a frozen NF4 weight W (Nf4Matrix, kvc issue
 * #13), dequantized inside the kernel (never copied to f16 or f32), f32 accumulation. A is an f32
 * tensor (converted to f16 on the GPU for this call, as gemm() does) or an F16Matrix. The two
 * products of a frozen linear layer y = x·Wᵀ (W: [out, in]):
 *   forward     y  = nf4Gemm(x, W, { transB: true })
 *   input grad  dx = nf4Gemm(dy, W)
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import type { Nf4Matrix } from '../quant/nf4-matrix.js';
import { F16Matrix } from './f16-matrix.js';
import { gemm, variantFor } from './gemm.js';
import type { GemmVariant } from './gemm-variant.js';
import { nf4PortableDispatch, nf4PortableGemmWgsl, type Nf4GemmShape } from './nf4-gemm-portable-wgsl.js';
import {
  DEFAULT_NF4_SUBGROUP_MATRIX_TILING,
  nf4SubgroupMatrixDispatch,
  nf4SubgroupMatrixGemmWgsl,
  type Nf4SubgroupMatrixTiling,
} from './nf4-gemm-subgroup-matrix-wgsl.js';
import { runKernel } from './webgpu-internals.js';
import { dequantizeNf4OnGpu } from './nf4-dequantize.js';

export interface Nf4GemmOptions {
  /** W is [N, K] and the product is A·Wᵀ (the forward); else W is [K, N] (the input gradient). */
  readonly transB?: boolean;
  /** Defaults to the variant the start-up self-test chose (see selectGemmVariant). */
  readonly variant?: GemmVariant;
  /** Register tiling of the subgroup-matrix variant (benchmarks). */
  readonly tiling?: Nf4SubgroupMatrixTiling;
  /**
   * `in-kernel` (default): codes are dequantized while the kernel stages W. `per-call`: W is
   * dequantized into a temporary f16 matrix and the f16 gemm() runs on it (the comparison the
   * benchmark measures; the temporary lives only for this call).
   */
  readonly dequantize?: 'in-kernel' | 'per-call';
}

let chosen: GemmVariant | undefined = 'portable';

/** Sets the default NF4 variant (selectGemmVariant calls this after its self-test). */
export function setNf4GemmVariant(v: GemmVariant | undefined): void {
  chosen = v;
}
export const nf4GemmVariant = (): GemmVariant | undefined => chosen;

/** The WGSL and dispatch of one product, for tests and benchmarks that run kernels directly. */
export function nf4GemmKernel(s: Nf4GemmShape, variant: GemmVariant, tiling = DEFAULT_NF4_SUBGROUP_MATRIX_TILING) {
  return variant === 'portable'
    ? { code: nf4PortableGemmWgsl(s), dispatch: nf4PortableDispatch(s) }
    : { code: nf4SubgroupMatrixGemmWgsl(s, tiling), dispatch: nf4SubgroupMatrixDispatch(s, tiling) };
}

export function nf4Gemm(a: tf.Tensor2D | F16Matrix, w: Nf4Matrix, opts: Nf4GemmOptions = {}): tf.Tensor2D {
  const transB = opts.transB ?? false;
  const [m, k] = a instanceof F16Matrix ? [a.rows, a.cols] : a.shape;
  const [k2, n] = transB ? [w.cols, w.rows] : [w.rows, w.cols];
  if (k !== k2) {
    throw new BackendError(
      'E_GPU_SHAPE',
      `nf4Gemm: inner dimensions differ (${k} vs ${k2})`,
      { a: [m, k], w: [w.rows, w.cols], transB },
      transB ? 'the forward takes x [tokens, in] and W [out, in]' : 'the input gradient takes dy [tokens, out]',
    );
  }
  if (w.codes.size * 8 < w.rows * w.cols || w.absmax.size * w.blocksize < w.rows * w.cols) {
    throw new BackendError(
      'E_GPU_SHAPE',
      `nf4Gemm: the Nf4Matrix holds too few codes or scales for ${w.rows}×${w.cols}`,
      { codes: w.codes.size, absmax: w.absmax.size, blocksize: w.blocksize },
      'codes need ceil(rows·cols/8) int32 words and absmax ceil(rows·cols/blocksize) values',
    );
  }
  const variant = variantFor(m, n, opts.variant ?? chosen);
  if (!variant) {
    throw new BackendError(
      'E_GPU_GEMM_UNAVAILABLE',
      'no NF4 GEMM variant passed the start-up self-test',
      {},
      'see the warnings of selectGemmVariant, or dequantize the weight and use tf.matMul (f32)',
    );
  }
  if (opts.dequantize === 'per-call') return viaF16Copy(a, w, transB, variant);
  const pa = a instanceof F16Matrix ? a : F16Matrix.fromTensor(a);
  try {
    const { code, dispatch } = nf4GemmKernel({ m, n, k, transB, blocksize: w.blocksize }, variant, opts.tiling);
    return runKernel(code, [pa.bits, w.codes, w.absmax], [m, n], 'float32', dispatch) as tf.Tensor2D;
  } finally {
    if (pa !== a) pa.dispose();
  }
}

function viaF16Copy(a: tf.Tensor2D | F16Matrix, w: Nf4Matrix, transB: boolean, variant: GemmVariant): tf.Tensor2D {
  const wf = dequantizeNf4OnGpu(w);
  const wh = F16Matrix.fromTensor(wf);
  wf.dispose();
  try {
    return gemm(a, wh, { transB, variant });
  } finally {
    wh.dispose();
  }
}
