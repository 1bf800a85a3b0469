/**
 * The plain NF4 product y = x · Wᵀ on any backend with integer bit ops (cpu, wasm): W is
 * dequantized from its Nf4Matrix with tfjs ops inside the op and freed with it, so only the 4-bit
 * form stays resident. Differentiable in x only (the weight is frozen): the backward dequantizes W
 * again rather than keeping it from the forward, so no f32 copy of W outlives either pass.
 *
 * WebGPU has no exact integer ops in tfjs (its shaders compute in f32, which cannot hold a 32-bit
 * word), so there the NF4 GEMM kernel of gpu/ (frozenNf4MatMul, dequantized inside the GEMM) runs
 * the product instead of this path (nn/linear.ts picks), and dequantizeNf4OnGpu the dequantization.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { NF4_TABLE, type Nf4Matrix } from './nf4-matrix.js';
import { nibbleShift } from './pack-nf4-codes.js';
import { dequantizeNf4OnGpu } from '../gpu/nf4-dequantize.js';
import { nf4GemmVariant } from '../gpu/nf4-gemm.js';

/** Whether the active backend can unpack NF4 codes exactly (it has tfjs' BitwiseAnd kernel). */
export const canDequantizeNf4 = (): boolean => tf.getKernel('BitwiseAnd', tf.getBackend()) !== undefined;

/** WebGPU runs NF4 through its own kernels (gpu/nf4-*) once the start-up self-test chose one. */
const gpuNf4 = (): boolean => tf.getBackend() === 'webgpu' && nf4GemmVariant() !== undefined;

/** Fails (before any weight is read) when the active backend cannot run the plain NF4 path. */
export function checkNf4Backend(): void {
  if (canDequantizeNf4() || gpuNf4()) return;
  const backend = tf.getBackend();
  throw new BackendError(
    'E_NF4_BACKEND',
    `quantization nf4: the ${backend} backend has no exact integer ops to unpack 4-bit codes`,
    { backend },
    'use --backend cpu or wasm, or quantization none (on webgpu the NF4 GEMM runs once its start-up self-test passes: see its warning)',
  );
}

/** The f32 weight [rows, cols] an Nf4Matrix stands for (the caller owns it). */
export function dequantizeNf4Matrix(w: Nf4Matrix): tf.Tensor2D {
  if (gpuNf4()) return dequantizeNf4OnGpu(w);
  checkNf4Backend();
  return tf.tidy(() => {
    const n = w.rows * w.cols;
    const words = w.codes;
    // Element j of a word sits at bit nibbleShift(j); the masked value has ≤ 4 significant bits, so
    // its f32 cast is exact (the top nibble comes out negative: floor-mod 16 restores it).
    const nibbles = Array.from({ length: 8 }, (_, j) => {
      const s = nibbleShift(j);
      const masked = tf.bitwiseAnd(words, tf.fill(words.shape, (15 << s) | 0, 'int32'));
      return tf.mod(tf.mul(tf.cast(masked, 'float32'), 2 ** -s), 16);
    });
    const codes = tf.cast(tf.slice(tf.reshape(tf.stack(nibbles, 1), [-1]), 0, n), 'int32');
    const values = tf.gather(tf.tensor1d(NF4_TABLE as number[], 'float32'), codes);
    const nb = w.absmax.shape[0];
    const blocks = tf.reshape(tf.pad(values, [[0, nb * w.blocksize - n]]), [nb, w.blocksize]);
    const scaled = tf.reshape(tf.mul(blocks, tf.reshape(w.absmax, [nb, 1])), [-1]);
    return tf.reshape(tf.slice(scaled, 0, n), [w.rows, w.cols]);
  });
}

/** y = x Wᵀ for x [M, cols] and an NF4 weight [rows, cols]: [M, rows]. Gradient flows to x only. */
export function nf4MatMul(x: tf.Tensor2D, w: Nf4Matrix): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xin = args[0] as tf.Tensor2D;
    return {
      value: tf.tidy(() => tf.matMul(xin, dequantizeNf4Matrix(w), false, true)),
      // dx = dy · W, with W dequantized again here (recompute beats keeping 32 bits a weight).
      gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.matMul(dy as tf.Tensor2D, dequantizeNf4Matrix(w))),
    };
  });
  return op(x) as tf.Tensor2D;
}
