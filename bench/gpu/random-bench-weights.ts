/**
 * Random weights in the forms a loaded model holds them, for the GPU benches (speed and memory do not depend on the
 * values): a [rows, cols] matrix as row shards where it is over the device's binding limit (f32, or f16 shards), and
 * an NF4 weight of random codes and scales.
 */
import * as tf from '@tensorflow/tfjs-core';
import { F16Matrix, F16RowMatrix, Nf4Matrix, type RowMatrix } from '@kvc/models';

/** A [rows, cols] matrix as the loader would hold it: row shards when over `maxBytes` (f32) or the f16 packer's row limit. */
export function randomRowMatrix(
  name: string,
  [rows, cols]: readonly number[],
  precision: 'f32' | 'f16',
  maxBytes: number,
  rand: (shape: [number, number]) => tf.Tensor2D,
): RowMatrix {
  if (precision === 'f16') {
    const per = Math.min(32768, Math.floor(maxBytes / (4 * cols!))); // rows per f16 shard: under the packer's row limit, a 512 MB f32 staging tensor
    const shards: F16Matrix[] = [];
    for (let r = 0; r < rows!; r += per) {
      const t = rand([Math.min(per, rows! - r), cols!]);
      shards.push(F16Matrix.fromTensor(t));
      t.dispose();
    }
    console.log(`${name}: ${rows}×${cols} in ${shards.length} f16 row shards`);
    return new F16RowMatrix(shards);
  }
  const shards = Math.ceil((rows! * cols! * 4) / maxBytes);
  if (shards <= 1) return rand([rows!, cols!]);
  const per = Math.ceil(rows! / shards);
  const out: tf.Tensor2D[] = [];
  for (let r = 0; r < rows!; r += per) out.push(rand([Math.min(per, rows! - r), cols!]));
  console.log(`${name}: ${rows}×${cols} in ${out.length} row shards`);
  return out;
}

/**
 * A [rows, cols] NF4 weight of random codes (a block of 64 rows' codes drawn, tiled down the rows: tfjs draws every
 * value in JavaScript, and Qwen3-8B holds ~10⁹ code words) and random scales in [0.01, 0.1) for every block.
 */
export function randomNf4Matrix(rows: number, cols: number, nextSeed: () => number): Nf4Matrix {
  const words = Math.ceil((rows * cols) / 8);
  const blockWords = Math.min(words, Math.ceil((64 * cols) / 8));
  const codes = tf.tidy(() => {
    const block = tf.randomUniform([blockWords], -(2 ** 31), 2 ** 31 - 1, 'int32', nextSeed());
    return tf.slice(tf.tile(block, [Math.ceil(words / blockWords)]), 0, words) as tf.Tensor1D;
  });
  const absmax = tf.randomUniform([Math.ceil((rows * cols) / 64)], 0.01, 0.1, 'float32', nextSeed()) as tf.Tensor1D;
  return new Nf4Matrix(codes, absmax, rows, cols);
}
