/**
 * `gemm`: C = op(A) · op(B) on the webgpu backend with f16 inputs and f32 accumulation, returning
 * an f32 tfjs tensor on the same device (no CPU round trip). Operands are f32 tensors (converted
 * to f16 on the GPU for this call) or F16Matrix (held in f16, e.g. weights). The three products of
 * a linear layer y = x·Wᵀ (W: [out, in]):
 *   forward        y  = gemm(x, W, { transB: true })
 *   input grad     dx = gemm(dy, W)
 *   weight grad    dW = gemm(dy, x, { transA: true })
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import type { GemmShape } from './gemm-layout.js';
import { portableDispatch, portableGemmWgsl } from './gemm-portable-wgsl.js';
import {
  defaultSubgroupMatrixTiling,
  subgroupMatrixDispatch,
  subgroupMatrixGemmWgsl,
  type SubgroupMatrixTiling,
} from './gemm-subgroup-matrix-wgsl.js';
import type { GemmVariant } from './gemm-variant.js';
import { F16Matrix } from './f16-matrix.js';
import { runKernel } from './webgpu-internals.js';

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** Defaults to the variant the start-up self-test chose (see selectGemmVariant). */
  readonly variant?: GemmVariant;
  /** Register tiling of the subgroup-matrix variant (benchmarks). */
  readonly tiling?: SubgroupMatrixTiling;
}

let chosen: GemmVariant | undefined = 'portable';

/** Sets the default variant (selectGemmVariant calls this after its self-test). */
export function setGemmVariant(v: GemmVariant | undefined): void {
  chosen = v;
}
export const gemmVariant = (): GemmVariant | undefined => chosen;

/** The WGSL and dispatch of one product, for tests and benchmarks that run kernels directly. */
export function gemmKernel(shape: GemmShape, variant: GemmVariant, tiling = defaultSubgroupMatrixTiling(shape)) {
  return variant === 'portable'
    ? { code: portableGemmWgsl(shape), dispatch: portableDispatch(shape) }
    : { code: subgroupMatrixGemmWgsl(shape, tiling), dispatch: subgroupMatrixDispatch(shape, tiling) };
}

/**
 * The variant one product can use. `subgroupMatrixStore` into C makes Dawn require C's binding to
 * hold a whole 16×16 f32 tile (1024 bytes), so outputs smaller than that (a batch-1 token's logits
 * head, a pooled 1×1 score) take the portable kernel: binding them fails, and the failed dispatch
 * leaves C unwritten (found on the H100: SigLIP f16 scores wrong, Qwen3 generation failing).
 */
export function variantFor(m: number, n: number, variant: GemmVariant | undefined): GemmVariant | undefined {
  return variant === 'subgroup-matrix' && m * n < 256 ? 'portable' : variant;
}

export function gemm(a: tf.Tensor2D | F16Matrix, b: tf.Tensor2D | F16Matrix, opts: GemmOptions = {}): tf.Tensor2D {
  const transA = opts.transA ?? false,
    transB = opts.transB ?? false;
  const dims = (x: tf.Tensor2D | F16Matrix) => (x instanceof F16Matrix ? [x.rows, x.cols] : x.shape);
  const [ar, ac] = dims(a),
    [br, bc] = dims(b);
  const [m, k] = transA ? [ac!, ar!] : [ar!, ac!];
  const [k2, n] = transB ? [bc!, br!] : [br!, bc!];
  if (k !== k2) {
    throw new BackendError(
      'E_GPU_SHAPE',
      `gemm: inner dimensions differ (${k} vs ${k2})`,
      { a: [ar, ac], b: [br, bc], transA, transB },
      'check which operand is transposed',
    );
  }
  const variant = variantFor(m, n, opts.variant ?? chosen);
  if (!variant) {
    throw new BackendError(
      'E_GPU_GEMM_UNAVAILABLE',
      'no f16 GEMM variant passed the start-up self-test',
      {},
      'see the warnings of selectGemmVariant, or use tf.matMul (f32)',
    );
  }
  const pa = a instanceof F16Matrix ? a : F16Matrix.fromTensor(a);
  const pb = b instanceof F16Matrix ? b : F16Matrix.fromTensor(b);
  try {
    const { code, dispatch } = gemmKernel({ m, n, k, transA, transB }, variant, opts.tiling);
    return runKernel(code, [pa.bits, pb.bits], [m, n], 'float32', dispatch) as tf.Tensor2D;
  } finally {
    if (pa !== a) pa.dispose();
    if (pb !== b) pb.dispose();
  }
}
