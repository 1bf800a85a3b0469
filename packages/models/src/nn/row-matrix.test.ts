import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import {
  gatherRows,
  matMulRows,
  matMulTransposed,
  rowMatrixShape,
  rowShards,
  singleMatrix,
  toRowMatrix,
} from './row-matrix.js';

// tfjs-core alone has no backend and no gradients: initBackend registers both (before the
// tensors this file builds at load time).
await initBackend('cpu');

const data = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 3);

describe('row matrix', () => {
  const [rows, cols] = [11, 3];
  const full = data(rows * cols, 1);
  const whole = tf.tensor2d(full, [rows, cols]);

  it('stays one tensor when it fits, else splits into the fewest row shards under the limit', () => {
    const one = toRowMatrix(full, rows, cols, rows * cols * 4);
    expect(rowShards(one).length).toBe(1);
    for (const maxBytes of [rows * cols * 4 - 4, 4 * cols * 4, cols * 4]) {
      const m = toRowMatrix(full, rows, cols, maxBytes);
      const shards = rowShards(m);
      expect(shards.length).toBe(Math.ceil((rows * cols * 4) / maxBytes));
      for (const s of shards) expect(s.size * 4).toBeLessThanOrEqual(maxBytes);
      expect(rowMatrixShape(m)).toEqual([rows, cols]);
      expect(Array.from(tf.concat(shards as tf.Tensor2D[], 0).dataSync())).toEqual(Array.from(full));
      expect(() => singleMatrix(m, 'here')).toThrow(/here: needs one tensor, the matrix is split into/);
    }
    expect(() => toRowMatrix(full, rows, cols, cols * 4 - 4)).toThrow(/one row of 3 floats exceeds/);
  });

  it('lookup, output head and its backward equal the unsharded ones exactly', () => {
    const m = toRowMatrix(full, rows, cols, 4 * cols * 4);
    expect(rowShards(m).length).toBe(3);
    const ids = tf.tensor2d(
      [
        [0, 3, 4, 10],
        [7, 8, 2, 5],
      ],
      undefined,
      'int32',
    );
    expect(Array.from(gatherRows(m, ids).dataSync())).toEqual(Array.from(tf.gather(whole, ids).dataSync()));
    expect(gatherRows(m, ids).shape).toEqual([2, 4, cols]);
    const h = tf.tensor2d(data(5 * cols, 2), [5, cols]);
    const ref = tf.matMul(h, whole, false, true);
    expect(matMulTransposed(h, m).shape).toEqual([5, rows]);
    expect(Array.from(matMulTransposed(h, m).dataSync())).toEqual(Array.from(ref.dataSync()));
    const d = tf.tensor2d(data(5 * rows, 3), [5, rows]);
    const back = Array.from(matMulRows(d, m).dataSync());
    const want = Array.from(tf.matMul(d, whole).dataSync());
    back.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 5));
  });
});
