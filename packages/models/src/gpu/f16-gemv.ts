/**
 * The few-row product of a frozen f16 or NF4 weight (f16-gemv-wgsl.ts, nf4-gemv-wgsl.ts): x [M, in] · Wᵀ,
 * optionally with the layer's LoRA branch fused in, one dispatch where the tile GEMM took a pack of x, the product
 * and the LoRA kernel (and, for NF4, a dequantized copy of the whole weight). frozenF16MatMul and
 * frozenNf4MatMul take it for the forward product at M ≤ GEMV_MAX_ROWS (a decoding step's rows); nn/linear.ts
 * takes the fused branch for inference (no gradient recorded, no dropout), as it does loraAdd.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { F16Matrix } from './f16-matrix.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { nf4GemvDispatch, nf4GemvShapeTakes, nf4GemvWgsl } from './nf4-gemv-wgsl.js';
import { GEMV_MAX_RANK, GEMV_MAX_ROWS, gemvDispatch, gemvRowBucket, gemvWgsl } from './f16-gemv-wgsl.js';
import { PORTABLE_GEMV_TILING, TUNED_GEMV_TILING, type GemvShape, type GemvTiling } from './f16-gemv-wgsl.js';
import { fusedElementwiseTakes } from './fused-elementwise.js';
import { runKernelOutputs, webgpuBackend } from './webgpu-internals.js';

let chosen: GemvTiling | undefined;

/** Sets the split every GEMV takes from now on (benchmarks compare them in the real step); undefined: the device's. */
export function setGemvTiling(t: GemvTiling | undefined): void {
  chosen = t;
}

/**
 * The split this device's GEMVs take: setGemvTiling's, else the tuned one where the device has subgroup matrices
 * (the tensor-core GPUs it was measured on), else the portable one (f16-gemv-wgsl.ts says why).
 */
export function gemvTiling(): GemvTiling {
  if (chosen) return chosen;
  return webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix')
    ? TUNED_GEMV_TILING
    : PORTABLE_GEMV_TILING;
}

/** A frozen weight the GEMV reads: f16 (F16Matrix) or NF4 (Nf4Matrix). */
export type GemvWeight = F16Matrix | Nf4Matrix;

/** Whether a linear weight is one the GEMV reads (f16 or NF4, not f32). */
export const isGemvWeight = (w: unknown): w is GemvWeight => w instanceof F16Matrix || w instanceof Nf4Matrix;

/** Whether the weight's kernel reads it with x of width k: live, of that width, and (NF4) in whole vec4s of codes. */
function weightTakes(w: GemvWeight, k: number): boolean {
  if (k !== w.cols) return false;
  if (w instanceof F16Matrix) return !w.isDisposed;
  return !w.codes.isDisposed && nf4GemvShapeTakes(k, w.blocksize);
}

const weightInputs = (w: GemvWeight): tf.Tensor[] => (w instanceof F16Matrix ? [w.bits] : [w.codes, w.absmax]);

/** The kernel for a weight of this kind and its grid. */
function kernelFor(w: GemvWeight, shape: GemvShape): { code: string; grid: [number, number] } {
  if (w instanceof F16Matrix) return { code: gemvWgsl(shape), grid: gemvDispatch(shape) };
  const s = { ...shape, blocksize: w.blocksize };
  return { code: nf4GemvWgsl(s), grid: nf4GemvDispatch(s) };
}

/** The LoRA branch as the kernel takes it: A [r, in], B [out, r], y += s·((x·Aᵀ)·Bᵀ). */
export interface GemvLora {
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
  readonly scaling: number;
  /**
   * x·Aᵀ [M, r] already computed (low-rank-down.ts, shared by the products that read x): the kernel takes it
   * instead of computing it in each workgroup, with the same result bit for bit.
   */
  readonly low?: tf.Tensor2D;
}

/**
 * Whether the kernel takes x [M, in] · Wᵀ (and the LoRA pair): the webgpu backend with our kernels on
 * (fusedElementwiseTakes: float32 tensors, each within one binding), 1 ≤ M ≤ GEMV_MAX_ROWS, x's width W's.
 */
export function gemvTakes(x: tf.Tensor2D, w: GemvWeight, lora?: GemvLora): boolean {
  const [m, k] = x.shape;
  if (m < 1 || m > GEMV_MAX_ROWS || !weightTakes(w, k)) return false;
  if (!lora) return fusedElementwiseTakes(x);
  const [r, ka] = lora.a.shape;
  if (lora.low && (lora.low.shape[0] !== m || lora.low.shape[1] !== r || !fusedElementwiseTakes(lora.low)))
    return false;
  return (
    r <= GEMV_MAX_RANK &&
    ka === k &&
    lora.b.shape[0] === w.rows &&
    lora.b.shape[1] === r &&
    fusedElementwiseTakes(x, lora.a, lora.b)
  );
}

/**
 * x [M, in] · Wᵀ [in, out] (+ s·((x·Aᵀ)·Bᵀ)) → [M, out] f32. Call where gemvTakes says so. `tiling` (default
 * gemvTiling()): tests and benchmarks try others; the result is the same up to the order of the partial sums.
 */
export function f16Gemv(x: tf.Tensor2D, w: GemvWeight, lora?: GemvLora, tiling?: GemvTiling): tf.Tensor2D {
  const [m, k] = x.shape;
  const shape: GemvShape = {
    n: w.rows,
    k,
    rows: gemvRowBucket(m),
    ...(lora ? { rank: lora.a.shape[0], scaling: lora.scaling, lowGiven: lora.low !== undefined } : {}),
    tiling: tiling ?? gemvTiling(),
  };
  const inputs = [x, ...weightInputs(w), ...(lora ? [lora.low ?? lora.a, lora.b] : [])];
  const out = { shape: [m, w.rows], dtype: 'float32' as const };
  const { code, grid } = kernelFor(w, shape);
  return runKernelOutputs(code, inputs, [out], grid)[0] as tf.Tensor2D;
}

/**
 * Whether the gated kernel takes x with SwiGLU's gate and up weights (and LoRA pairs): each product as gemvTakes
 * says, one output width, weights of one kind (and one NF4 block size), and both pairs or neither, of one rank and
 * scaling (the kernel has one of each), within the device's storage buffers a stage (NF4 with LoRA binds 10).
 */
export function gatedGemvTakes(
  x: tf.Tensor2D,
  gate: GemvWeight,
  up: GemvWeight,
  loraGate?: GemvLora,
  loraUp?: GemvLora,
): boolean {
  if (gate.rows !== up.rows || (loraGate === undefined) !== (loraUp === undefined)) return false;
  if (
    gate instanceof F16Matrix
      ? !(up instanceof F16Matrix)
      : !(up instanceof Nf4Matrix) || up.blocksize !== gate.blocksize
  )
    return false;
  if (
    loraGate &&
    loraUp &&
    (loraGate.a.shape[0] !== loraUp.a.shape[0] ||
      loraGate.scaling !== loraUp.scaling ||
      (loraGate.low === undefined) !== (loraUp.low === undefined))
  )
    return false;
  // gemvTakes first: off webgpu (NF4 weights live on the cpu too) it says no before the device is asked.
  if (!gemvTakes(x, gate, loraGate) || !gemvTakes(x, up, loraUp)) return false;
  // Bindings: x, each weight's buffers (f16: 1, NF4: codes and scales), two a LoRA pair, the output.
  const buffers = 2 + 2 * weightInputs(gate).length + (loraGate ? 4 : 0);
  return buffers <= webgpuBackend().device.limits.maxStorageBuffersPerShaderStage;
}

/**
 * silu(x·Gᵀ (+ LoRA)) · (x·Uᵀ (+ LoRA)) → [M, out] in one dispatch: the two products of f16Gemv and swiglu-wgsl.ts's
 * forward on their values, bit for bit. Call where gatedGemvTakes says so.
 */
export function f16GatedGemv(
  x: tf.Tensor2D,
  gate: GemvWeight,
  up: GemvWeight,
  loraGate?: GemvLora,
  loraUp?: GemvLora,
  tiling?: GemvTiling,
): tf.Tensor2D {
  const [m, k] = x.shape;
  const shape: GemvShape = {
    n: gate.rows,
    k,
    rows: gemvRowBucket(m),
    gated: true,
    ...(loraGate ? { rank: loraGate.a.shape[0], scaling: loraGate.scaling, lowGiven: loraGate.low !== undefined } : {}),
    tiling: tiling ?? gemvTiling(),
  };
  const inputs = [
    x,
    ...weightInputs(gate),
    ...weightInputs(up),
    ...(loraGate && loraUp ? [loraGate.low ?? loraGate.a, loraGate.b, loraUp.low ?? loraUp.a, loraUp.b] : []),
  ];
  const out = { shape: [m, gate.rows], dtype: 'float32' as const };
  const { code, grid } = kernelFor(gate, shape);
  return runKernelOutputs(code, inputs, [out], grid)[0] as tf.Tensor2D;
}
