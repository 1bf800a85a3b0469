/**
 * A matrix that may be stored as row shards. WebGPU binds at most
 * `maxStorageBufferBindingSize` bytes per buffer (2 GiB on Dawn): Qwen3-8B's embedding and
 * output head (151,936 × 4096 float32 = 2.5 GB) must be split by rows to live on the GPU at
 * all. Embedding lookup, the output head and its backward then work shard by shard; a small
 * matrix stays one tensor and takes the plain path.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One tensor [R, C], or consecutive row shards that stack to [R, C]. */
export type RowMatrix = tf.Tensor2D | readonly tf.Tensor2D[];

export function rowShards(m: RowMatrix): readonly tf.Tensor2D[] {
  return Array.isArray(m) ? m : [m as tf.Tensor2D];
}

/** [R, C] of the whole matrix. */
export function rowMatrixShape(m: RowMatrix): [number, number] {
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
