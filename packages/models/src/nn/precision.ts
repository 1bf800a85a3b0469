/**
 * `precision` of a model's frozen linear weights (kvc issue #12). `f32`: plain tensors, every
 * backend. `f16`: on WebGPU each frozen 2-D linear weight is packed once to f16 (F16Matrix, half
 * the memory) and its products run through the f16 GEMM with f32 accumulation; Qwen3's embedding
 * table and output head become f16 row shards (gpu/f16-embedding.ts, loaded by load-qwen3.ts);
 * everything else (norms, residual stream, softmax, loss, LoRA, projector) stays f32.
 *
 * On cpu/wasm/tensorflow `f16` is refused rather than emulated by rounding weights: those backends
 * are the f32 reference, emulation would save no memory, and it would add a third numeric mode
 * (weights rounded but activations not, unlike the GPU) whose results match neither.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, ConfigError } from '../errors.js';
import { F16Matrix } from '../gpu/f16-matrix.js';
import { gemmVariant } from '../gpu/gemm.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import type { LinearWeight } from './linear.js';

export type Precision = 'f32' | 'f16';
export const PRECISIONS: readonly Precision[] = ['f32', 'f16'];

/** Fails early (before any weight is read) when `precision` cannot run on the active backend. */
export function checkPrecision(precision: Precision): void {
  if (!PRECISIONS.includes(precision)) {
    throw new ConfigError('E_PRECISION', `unknown precision ${String(precision)}`, { precision }, 'use f32 or f16');
  }
  if (precision === 'f32') return;
  const backend = tf.getBackend();
  if (backend !== 'webgpu') {
    throw new BackendError(
      'E_PRECISION_BACKEND',
      `precision f16 needs the webgpu backend, not ${backend} (cpu, wasm and tensorflow are the f32 reference)`,
      { precision, backend },
      'run with --backend webgpu, or use --precision f32',
    );
  }
  if (!gemmVariant()) {
    throw new BackendError(
      'E_GPU_GEMM_UNAVAILABLE',
      'precision f16: no f16 GEMM variant passed the start-up self-test on this GPU',
      { precision },
      'see the warnings of selectGemmVariant, or use --precision f32',
    );
  }
}

/**
 * A frozen linear weight [out, in] in the given precision: `t` itself for f32; for f16 an
 * F16Matrix, and `t` is disposed (the caller owns only the result).
 */
export function frozenLinearWeight(t: tf.Tensor2D, precision: Precision): tf.Tensor2D | F16Matrix {
  if (precision === 'f32') return t;
  checkPrecision(precision);
  try {
    return F16Matrix.fromTensor(t);
  } finally {
    t.dispose();
  }
}

/** The tensors that own a linear weight's memory (the f16 bits of an F16Matrix; an Nf4Matrix's codes and scales). */
export function weightTensors(w: LinearWeight): tf.Tensor[] {
  if (w instanceof F16Matrix) return [w.bits];
  if (w instanceof Nf4Matrix) return [w.codes, w.absmax];
  return [w];
}
