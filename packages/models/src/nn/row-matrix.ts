/**
 * A matrix that may be stored as row shards. WebGPU binds at most
 * `maxStorageBufferBindingSize` bytes per buffer (2 GiB on Dawn): Qwen3-8B's embedding and
 * output head (151,936 × 4096 float32 = 2.5 GB) must be split by rows to live on the GPU at
 * all. Embedding lookup, the output head and its backward then work shard by shard; a small
 * matrix stays one tensor and takes the plain path. With precision f16 on WebGPU the matrix is an
 * F16RowMatrix (gpu/f16-embedding.ts): f16 shards, an f16 gather, products through the f16 GEMM.
 */
import * as tf from '@tensorflow/tfjs-core';
import { F16RowMatrix, f16GatherRows } from '../gpu/f16-embedding.js';
import { frozenF16MatMul } from '../gpu/frozen-f16-matmul.js';
import { gemm } from '../gpu/gemm.js';

/** One f32 tensor [R, C], consecutive f32 row shards that stack to [R, C], or f16 row shards. */
export type RowMatrix = tf.Tensor2D | readonly tf.Tensor2D[] | F16RowMatrix;

/** The f32 row shards of `m` (an f16 matrix has none: see {@link rowMatrixTensors}). */
export function rowShards(m: RowMatrix): readonly tf.Tensor2D[] {
  if (m instanceof F16RowMatrix) throw new TypeError('rowShards: the matrix is held in f16 (F16RowMatrix)');
  return Array.isArray(m) ? m : [m as tf.Tensor2D];
}

/** The tensors that hold `m`'s memory (to dispose it, or count it). */
export function rowMatrixTensors(m: RowMatrix): readonly tf.Tensor[] {
  return m instanceof F16RowMatrix ? m.tensors : rowShards(m);
}

/** [R, C] of the whole matrix. */
export function rowMatrixShape(m: RowMatrix): [number, number] {
  if (m instanceof F16RowMatrix) return [m.rows, m.cols];
  const shards = rowShards(m);
  return [shards.reduce((n, s) => n + s.shape[0], 0), shards[0]!.shape[1]];
}

/** The one tensor of an unsharded matrix; `what` names the caller for the error. */
export function singleMatrix(m: RowMatrix, what: string): tf.Tensor2D {
  const shards = rowShards(m);
  if (shards.length !== 1)
    throw new RangeError(
      `${what}: needs one tensor, the matrix is split into ${shards.length} row shards (too large for one GPU buffer)`,
    );
  return shards[0]!;
}

/**
 * Largest float32 tensor the active backend can bind in one buffer: WebGPU's device limit
 * (a 4-byte margin: tfjs pads buffers to 4 bytes), unbounded elsewhere.
 */
export function backendMaxTensorBytes(): number {
  if (tf.getBackend() !== 'webgpu') return Number.POSITIVE_INFINITY;
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device;
  return (device?.limits?.maxStorageBufferBindingSize ?? 2 ** 31) - 4;
}

/** Float32 data [rows, cols] as one tensor if it fits `maxBytes`, else as the fewest even row shards that do. */
export function toRowMatrix(data: Float32Array, rows: number, cols: number, maxBytes: number): RowMatrix {
  const shardCount = Math.ceil((rows * cols * 4) / maxBytes);
  if (shardCount <= 1) return tf.tensor2d(data, [rows, cols]);
  const per = Math.ceil(rows / shardCount);
  if (per * cols * 4 > maxBytes || per < 1)
    throw new RangeError(`toRowMatrix: one row of ${cols} floats exceeds ${maxBytes} bytes`);
  const out: tf.Tensor2D[] = [];
  for (let r = 0; r < rows; r += per) {
    const n = Math.min(per, rows - r);
    out.push(tf.tensor2d(data.subarray(r * cols, (r + n) * cols), [n, cols]));
  }
  return out;
}

/** Rows of `m` at integer `ids` (any shape): result [...ids.shape, C]. */
export function gatherRows(m: RowMatrix, ids: tf.Tensor): tf.Tensor {
  if (m instanceof F16RowMatrix) return f16GatherRows(m, ids);
  const shards = rowShards(m);
  if (shards.length === 1) return tf.gather(shards[0]!, ids);
  return tf.tidy(() => {
    let out: tf.Tensor | undefined;
    let offset = 0;
    for (const s of shards) {
      const n = s.shape[0];
      const local = tf.sub(ids, tf.scalar(offset, 'int32'));
      const inside = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, n));
      // Ids of other shards read row 0 here and are zeroed by the mask.
      const rows = tf.mul(
        tf.gather(s, tf.where(inside, local, tf.zerosLike(local))),
        tf.expandDims(tf.cast(inside, 'float32'), -1),
      );
      out = out ? tf.add(out, rows) : rows;
      offset += n;
    }
    return out!;
  });
}

/** h [N, C] · mᵀ → [N, R] (the output head). */
export function matMulTransposed(h: tf.Tensor2D, m: RowMatrix): tf.Tensor2D {
  if (m instanceof F16RowMatrix) {
    // Differentiable in h (dh = dy·W through the f16 GEMM); W is frozen.
    if (m.shards.length === 1) return frozenF16MatMul(h, m.shards[0]!);
    return tf.tidy(
      () =>
        tf.concat(
          m.shards.map((s) => frozenF16MatMul(h, s)),
          1,
        ) as tf.Tensor2D,
    );
  }
  const shards = rowShards(m);
  if (shards.length === 1) return tf.matMul(h, shards[0]!, false, true);
  return tf.tidy(
    () =>
      tf.concat(
        shards.map((s) => tf.matMul(h, s, false, true)),
        1,
      ) as tf.Tensor2D,
  );
}

/** d [N, R] · m → [N, C] (the output head's backward to its input). */
export function matMulRows(d: tf.Tensor2D, m: RowMatrix): tf.Tensor2D {
  if (m instanceof F16RowMatrix) {
    if (m.shards.length === 1) return gemm(d, m.shards[0]!);
    return tf.tidy(() => {
      let offset = 0;
      return m.shards.reduce<tf.Tensor2D | undefined>((acc, s) => {
        const part = gemm(tf.slice(d, [0, offset], [-1, s.rows]) as tf.Tensor2D, s);
        offset += s.rows;
        return acc ? (tf.add(acc, part) as tf.Tensor2D) : part;
      }, undefined)!;
    });
  }
  const shards = rowShards(m);
  if (shards.length === 1) return tf.matMul(d, shards[0]!);
  return tf.tidy(() => {
    let out: tf.Tensor2D | undefined;
    let offset = 0;
    for (const s of shards) {
      const part: tf.Tensor2D = tf.matMul(tf.slice(d, [0, offset], [-1, s.shape[0]]), s);
      out = out ? (tf.add(out, part) as tf.Tensor2D) : part;
      offset += s.shape[0];
    }
    return out!;
  });
}
