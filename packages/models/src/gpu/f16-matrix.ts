/**
 * A matrix held in f16 on the GPU in the packed layout of gemm-layout.ts (zero-padded to
 * PACK_ALIGN, two halves per u32). The bits live in an int32 tfjs tensor: tfjs then owns the
 * GPUBuffer's lifetime (deferred release while commands are queued, tf.memory accounting).
 * Weights are packed once and kept; activations are packed per call and disposed.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { padTo } from './gemm-layout.js';
import { packDispatch, packWgsl, unpackDispatch, unpackWgsl } from './pack-wgsl.js';
import { runKernel } from './webgpu-internals.js';

/** Most rows one F16Matrix holds (padded): one workgroup row per dispatch y. */
export const MAX_PACK_ROWS = 65535;

export class F16Matrix {
  private constructor(
    /** The f16 bits, two per int32 element: `rowsP * colsP / 2` elements. */
    readonly bits: tf.Tensor1D,
    readonly rows: number,
    readonly cols: number,
  ) {}

  get rowsP(): number {
    return padTo(this.rows);
  }
  get colsP(): number {
    return padTo(this.cols);
  }

  /** Converts a 2-D f32 tensor (on the webgpu backend) to f16, on the GPU. */
  static fromTensor(t: tf.Tensor2D): F16Matrix {
    const [rows, cols] = t.shape;
    if (t.dtype !== 'float32') {
      throw new BackendError('E_GPU_DTYPE', `F16Matrix takes float32 tensors, got ${t.dtype}`, { shape: t.shape });
    }
    const rowsP = padTo(rows),
      colsP = padTo(cols);
    if (rowsP > MAX_PACK_ROWS) {
      throw new BackendError(
        'E_GPU_SHAPE',
        `cannot pack ${rows} rows to f16 (at most ${MAX_PACK_ROWS})`,
        { shape: t.shape },
        'split the matrix into row blocks',
      );
    }
    const code = packWgsl(rows, cols, colsP);
    const bits = runKernel(code, [t], [(rowsP * colsP) / 2], 'int32', packDispatch(rowsP, colsP));
    return new F16Matrix(bits as tf.Tensor1D, rows, cols);
  }

  /** The f32 matrix [rows, cols] these halves hold (exact), on the GPU: e.g. to merge LoRA into it. */
  toTensor(): tf.Tensor2D {
    const code = unpackWgsl(this.rows, this.cols, this.colsP);
    return runKernel(
      code,
      [this.bits],
      [this.rows, this.cols],
      'float32',
      unpackDispatch(this.rows, this.cols),
    ) as tf.Tensor2D;
  }

  /** Bytes of GPU memory the halves take (padding included). */
  get bytes(): number {
    return this.rowsP * this.colsP * 2;
  }

  get isDisposed(): boolean {
    return this.bits.isDisposed;
  }

  dispose(): void {
    this.bits.dispose();
  }
}
