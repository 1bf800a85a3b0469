/** Seeded operands and f32's roundoff for the kernel tests' derived bounds (lora-add, low-rank-add, f16-gemv). */
import * as tf from '@tensorflow/tfjs-core';

/** f32's unit roundoff (2⁻²⁴): the u of the kernels' derived bounds. */
export const F32_UNIT = 2 ** -24;

/** A seeded uniform float32 matrix in [lo, hi). */
export const uniformMatrix = (shape: [number, number], seed: number, lo = -1, hi = 1): tf.Tensor2D =>
  tf.randomUniform(shape, lo, hi, 'float32', seed) as tf.Tensor2D;
