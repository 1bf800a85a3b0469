/**
 * A large frozen matrix (the embedding table, the output head) held in f16 on the GPU as row
 * shards (kvc issue #13): Qwen3-8B's 151,936 × 4096 table is 2.5 GB in f32, over Dawn's 2 GiB
 * binding limit, and 1.2 GB in f16. Each shard is an F16Matrix (≤ MAX_PACK_ROWS rows, and staged
 * through an f32 tensor that must fit one binding). Rows are looked up by a small WGSL gather that
 * returns f32 rows (exact: every f16 is an f32); products with it go through the f16 GEMM.
 * A tied model's embedding and head are the same object: one f16 copy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { F16Matrix, MAX_PACK_ROWS } from './f16-matrix.js';
import { PACK_ALIGN, padTo, tileWord } from './gemm-layout.js';
import { PACK_WORKGROUP } from './pack-wgsl.js';
import { runKernel } from './webgpu-internals.js';

/** Most ids one gather dispatch takes (one id per workgroup row, dispatch y ≤ 65535). */
const MAX_GATHER_IDS = 65535;

export class F16RowMatrix {
  readonly rows: number;
  readonly cols: number;

  /** Consecutive row shards that stack to [rows, cols]; the object owns them. */
  constructor(readonly shards: readonly F16Matrix[]) {
    if (shards.length === 0) throw new RangeError('F16RowMatrix: no shards');
    this.rows = shards.reduce((n, s) => n + s.rows, 0);
    this.cols = shards[0]!.cols;
  }

  /**
   * Host f32 data [rows, cols] packed to f16 shard by shard: each shard at most `maxBytes` (the
   * backend's binding limit) both as its f32 staging tensor and as packed halves (rows padded to
   * PACK_ALIGN, so a shard limited by bytes takes whole multiples of it), and at most the packer's row limit.
   */
  static fromFloat32(data: Float32Array, rows: number, cols: number, maxBytes: number): F16RowMatrix {
    return F16RowMatrix.fromStaged(rows, cols, maxBytes, (r, n) =>
      tf.tensor2d(data.subarray(r * cols, (r + n) * cols), [n, cols]),
    );
  }

  /**
   * As fromFloat32, with each shard's f32 staging tensor (rows r..r+n) made by `stage` (a bf16 checkpoint's rows
   * widened on the GPU: nn/weight-loader.ts); the staging tensor is disposed once packed.
   */
  static fromStaged(
    rows: number,
    cols: number,
    maxBytes: number,
    stage: (r: number, n: number) => tf.Tensor2D,
  ): F16RowMatrix {
    const rowBytes = Math.max(cols * 4, padTo(cols) * 2);
    const byBytes = Math.floor(maxBytes / rowBytes);
    const aligned = byBytes >= PACK_ALIGN ? Math.floor(byBytes / PACK_ALIGN) * PACK_ALIGN : byBytes;
    const per = Math.min(Math.floor(MAX_PACK_ROWS / PACK_ALIGN) * PACK_ALIGN, aligned);
    if (per < 1) throw new RangeError(`F16RowMatrix: one row of ${cols} floats exceeds ${maxBytes} bytes`);
    const shards: F16Matrix[] = [];
    try {
      for (let r = 0; r < rows; r += per) {
        const n = Math.min(per, rows - r);
        const staged = stage(r, n);
        try {
          shards.push(F16Matrix.fromTensor(staged));
        } finally {
          staged.dispose();
        }
      }
    } catch (err) {
      shards.forEach((s) => s.dispose());
      throw err;
    }
    return new F16RowMatrix(shards);
  }

  /** The int32 tensors holding the halves (what tf.memory counts and dispose frees). */
  get tensors(): readonly tf.Tensor[] {
    return this.shards.map((s) => s.bits);
  }

  get bytes(): number {
    return this.shards.reduce((n, s) => n + s.bytes, 0);
  }

  get isDisposed(): boolean {
    return this.shards.every((s) => s.isDisposed);
  }

  dispose(): void {
    for (const s of this.shards) s.dispose();
  }
}

/**
 * out[i, c] = W[ids[i] − offset, c] for ids inside the shard's `rows`, else 0 (the other shards'
 * lookups add their rows: a sum of one value and zeros is exact).
 */
export function f16GatherWgsl(rows: number, cols: number, colsP: number, n: number, offset: number): string {
  return `@group(0) @binding(0) var<storage, read> W: array<u32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@compute @workgroup_size(${PACK_WORKGROUP}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let i = wg.y; let c = wg.x * ${PACK_WORKGROUP}u + lid;
  if (i >= ${n}u || c >= ${cols}u) { return; }
  let r = ids[i] - ${offset};
  var v = 0.0;
  if (r >= 0 && r < ${rows}) {
    let h = unpack2x16float(W[${tileWord('u32(r)', 'c & ~1u', colsP)}]);
    v = select(h.x, h.y, (c & 1u) == 1u);
  }
  D[i * ${cols}u + c] = v;
}`;
}

/** Rows of an f16 table at integer `ids` (any shape), as f32: [...ids.shape, cols]. */
export function f16GatherRows(m: F16RowMatrix, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') {
    throw new BackendError('E_GPU_DTYPE', `f16GatherRows takes int32 ids, got ${ids.dtype}`, { shape: ids.shape });
  }
  return tf.tidy(() => {
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < flat.size; start += MAX_GATHER_IDS) {
      const n = Math.min(MAX_GATHER_IDS, flat.size - start);
      const chunk = n === flat.size ? flat : tf.slice(flat, [start], [n]);
      let out: tf.Tensor | undefined;
      let offset = 0;
      for (const s of m.shards) {
        const code = f16GatherWgsl(s.rows, s.cols, s.colsP, n, offset);
        const dispatch: [number, number] = [Math.ceil(s.cols / PACK_WORKGROUP), n];
        const rows = runKernel(code, [s.bits, chunk], [n, s.cols], 'float32', dispatch);
        out = out ? tf.add(out, rows) : rows;
        offset += s.rows;
      }
      parts.push(out!);
    }
    const all = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
    return tf.reshape(all, [...ids.shape, m.cols]);
  });
}
