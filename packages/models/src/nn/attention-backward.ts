/**
 * The backward of the tfjs attention op (attention.ts): chunk by chunk, recomputing each chunk's
 * probabilities from the softmax max and denominator the forward kept.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attentionMatMul } from './attention-matmul.js';
import { chunkBias, grouped, keyEnd, keysUpTo, rowsOf, scores, ungrouped, type Chunks } from './attention-blocks.js';

/** dq, dk, dv chunk by chunk, recomputing each chunk's probabilities from the saved max and sum. */
export function backward(dy: tf.Tensor4D, saved: tf.Tensor4D[], c: Chunks): tf.Tensor[] {
  const { s, rows, starts } = c;
  type T4 = tf.Tensor4D;
  const [q, k, v, out, mx, sum, bias] = saved as [T4, T4, T4, T4, T4, T4, T4?];
  const scale = 1 / Math.sqrt(s.d);
  let dk: tf.Tensor = tf.zerosLike(k);
  let dv: tf.Tensor = tf.zerosLike(v);
  const dqs: tf.Tensor[] = [];
  for (const start of starts) {
    const n = Math.min(rows, s.t - start);
    const [dq, dkNext, dvNext] = tf.tidy(() => {
      const qc = rowsOf(q, start, n);
      const doc = grouped(rowsOf(dy, start, n), s, n);
      const kEnd = keyEnd(c, start, n);
      const [kc, vc] = [keysUpTo(k, kEnd), keysUpTo(v, kEnd)];
      // A chunk's dk, dv rows past its keys are zero: padded back to Tk to add up.
      const full = (x: tf.Tensor) =>
        kEnd === s.tk
          ? x
          : tf.pad(x, [
              [0, 0],
              [0, 0],
              [0, s.tk - kEnd],
              [0, 0],
            ]);
      const sc = scores(qc, kc, chunkBias(bias, c, start, n), s, n);
      const e = tf.exp(tf.sub(sc, grouped(rowsOf(mx, start, n), s, n)));
      const p: T4 = tf.div(e, grouped(rowsOf(sum, start, n), s, n));
      // softmax backward: dS = P ⊙ (dP − rowsum(dO ⊙ O)).
      const dRow = grouped(tf.sum(tf.mul(rowsOf(dy, start, n), rowsOf(out, start, n)), -1, true), s, n);
      const ds: T4 = tf.mul(p, tf.sub(attentionMatMul(doc, vc, false, true), dRow));
      return [
        ungrouped(tf.mul(attentionMatMul(ds, kc), scale), s, n),
        tf.add(dk, full(tf.mul(attentionMatMul(ds, grouped(qc, s, n), true, false), scale))),
        tf.add(dv, full(attentionMatMul(p, doc, true, false))),
      ];
    });
    dk.dispose();
    dv.dispose();
    dk = dkNext!;
    dv = dvNext!;
    dqs.push(dq!);
  }
  const dq = dqs.length === 1 ? dqs[0]! : tf.concat(dqs, 2);
  if (dqs.length > 1) for (const x of dqs) x.dispose();
  return [dq, dk, dv];
}
