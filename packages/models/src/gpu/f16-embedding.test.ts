import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { gatherRows, matMulRows, matMulTransposed, rowMatrixShape, rowMatrixTensors } from '../nn/row-matrix.js';
import { F16RowMatrix } from './f16-embedding.js';
import { F16Matrix } from './f16-matrix.js';
import { gemmErrorRatio } from './gemm-error-ratio.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

// Awkward sizes: 300 rows of 10. A packed row takes 128 halves (256 bytes, more than its 40 bytes of f32), so
// SHARD shards by 128 rows (128 + 128 + 44).
const [ROWS, COLS, N] = [300, 10, 7];
const SHARD = 128 * 256;
const data = Float32Array.from({ length: ROWS * COLS }, (_, i) => Math.sin(i * 0.37) * 3);
/** The table each element rounded to f16 (what the f16 copy holds), read through one F16Matrix. */
async function roundedTable(): Promise<tf.Tensor2D> {
  const t = tf.tensor2d(data, [ROWS, COLS]);
  const h = F16Matrix.fromTensor(t);
  const r = h.toTensor();
  tf.dispose(t);
  h.dispose();
  return r;
}

describe.skipIf(!gpu)('F16RowMatrix: the embedding and output head in f16 (webgpu)', () => {
  it('shards by the f32 staging limit and reports its shape; dispose frees every shard', () => {
    const before = tf.memory().numTensors;
    const m = F16RowMatrix.fromFloat32(data, ROWS, COLS, SHARD);
    expect(m.shards.map((s) => s.rows)).toEqual([128, 128, 44]);
    expect(rowMatrixShape(m)).toEqual([ROWS, COLS]);
    expect(rowMatrixTensors(m).length).toBe(3);
    expect(tf.memory().numTensors - before).toBe(3);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gathers exactly the f16-rounded rows, one shard or many, ids of any shape', async () => {
    const ref = await roundedTable();
    const ids = tf.tensor2d([0, 5, 127, 128, 129, 299, 256, 3, 3, 200], [2, 5], 'int32');
    const want = await tf.gather(ref, ids).data();
    for (const maxBytes of [Infinity, SHARD, SHARD + 200 * 256]) {
      const m = F16RowMatrix.fromFloat32(data, ROWS, COLS, maxBytes);
      const got = gatherRows(m, ids);
      expect(got.shape).toEqual([2, 5, COLS]);
      expect(Array.from(await got.data())).toEqual(Array.from(want));
      tf.dispose(got);
      m.dispose();
    }
    // The rounding really happened: an f16 table differs from the f32 one somewhere.
    const f32 = await tf.gather(tf.tensor2d(data, [ROWS, COLS]), ids).data();
    expect(Array.from(f32)).not.toEqual(Array.from(want));
    tf.dispose([ref, ids]);
  });

  it('logits h·Wᵀ and the head backward d·W: within the f16 GEMM bound, the same sharded or not', async () => {
    const w = tf.tensor2d(data, [ROWS, COLS]);
    const h = tf.randomUniform([N, COLS], -1, 1, 'float32', 4) as tf.Tensor2D;
    const d = tf.randomUniform([N, ROWS], -1, 1, 'float32', 5) as tf.Tensor2D;
    const outs: Float32Array[] = [];
    for (const maxBytes of [Infinity, SHARD]) {
      const m = F16RowMatrix.fromFloat32(data, ROWS, COLS, maxBytes);
      const z = matMulTransposed(h, m);
      expect(z.shape).toEqual([N, ROWS]);
      expect(await gemmErrorRatio(z, h, w, false, true)).toBeLessThanOrEqual(1);
      const back = matMulRows(d, m);
      expect(await gemmErrorRatio(back, d, w)).toBeLessThanOrEqual(1);
      // the gradient of the logits with respect to h is the same f16 product
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(matMulTransposed(x as tf.Tensor2D, m), d)))(h);
      expect(await gemmErrorRatio(g as tf.Tensor2D, d, w)).toBeLessThanOrEqual(1);
      outs.push((await z.data()) as Float32Array);
      tf.dispose([z, back, g]);
      m.dispose();
    }
    expect(Array.from(outs[1]!)).toEqual(Array.from(outs[0]!));
    tf.dispose([w, h, d]);
  });

  it('leaves no tensors behind', async () => {
    const m = F16RowMatrix.fromFloat32(data, ROWS, COLS, SHARD);
    const ids = tf.tensor1d([1, 200], 'int32');
    // N rows again: the kernels compiled above (lavapipe compiles each new shape for tens of seconds)
    const h = tf.ones([N, COLS]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tf.dispose([gatherRows(m, ids), matMulTransposed(h, m), matMulRows(tf.ones([N, ROWS]) as tf.Tensor2D, m)]);
    expect(tf.memory().numTensors).toBe(before + 1); // the ones() of matMulRows' argument
    tf.dispose([ids, h]);
    m.dispose();
  });
});
