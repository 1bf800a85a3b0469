/**
 * Memory-bounded scaled dot-product attention with grouped-query heads, forward and backward
 * (the FlashAttention recipe written with tfjs ops). The forward attends in query chunks and
 * keeps, per query row, only the softmax max and denominator; the backward recomputes each
 * chunk's probabilities from them. Neither pass ever holds more than one chunk of scores, so
 * training memory grows with T·d, not T², and no tensor outgrows a WebGPU binding (2 GiB).
 *
 * Without this, autodiff through a chunked softmax keeps every chunk's probabilities until
 * the backward pass: 7.4 GB a layer for the seed's batch of 4 × 5376 tokens.
 *
 * Causal block skipping: a chunk of queries ending at position e sees no key after e, so its
 * scores stop there (about half the work of a long causal sequence). The masked keys it skips
 * add exactly 0 to every row that sees any key; a row that sees none (a left pad) averages the
 * values up to its chunk's end instead of all of them: such rows are padding, read by no real
 * token and in no loss.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface FusedAttentionOptions {
  /** Largest score block [B, heads, rows, keys] in bytes (float32). */
  readonly chunkBytes: number;
}

interface Shapes {
  readonly b: number;
  readonly nh: number;
  readonly nkv: number;
  readonly rep: number;
  readonly t: number;
  readonly tk: number;
  readonly d: number;
}

/** Query rows per chunk so that one [B, heads, rows, Tk] float32 block stays under `chunkBytes`. */
export function attentionRowsPerChunk(b: number, heads: number, tk: number, chunkBytes: number): number {
  return Math.max(1, Math.floor(chunkBytes / (b * heads * tk * 4)));
}

/** [B, nh, n, X] ↔ [B, nkv, rep·n, X]: the query heads of one kv head stacked along rows (no K/V repeat). */
const grouped = (x: tf.Tensor, s: Shapes, n: number): tf.Tensor4D => tf.reshape(x, [s.b, s.nkv, s.rep * n, x.shape[3]!]);
const ungrouped = (x: tf.Tensor, s: Shapes, n: number): tf.Tensor4D => tf.reshape(x, [s.b, s.nh, n, x.shape[3]!]);

/** Biased scores of one query chunk (queries already scaled by 1/√d) over its keys, [B, nkv, rep·n, Tk']. */
function scores(qsc: tf.Tensor4D, kc: tf.Tensor4D, biasC: tf.Tensor4D, s: Shapes, n: number): tf.Tensor4D {
  return grouped(tf.add(ungrouped(tf.matMul(grouped(qsc, s, n), kc, false, true), s, n), biasC), s, n);
}

/** One query chunk: its rows [start, start + n) and the keys [0, keyEnd) any of them can see. */
interface Chunk {
  readonly start: number;
  readonly n: number;
  readonly keyEnd: number;
}

/** Query chunks of `rows`; the queries are the last t of tk keys (a KV cache holds tk − t before them). */
function chunksOf(t: number, tk: number, rows: number): Chunk[] {
  const out: Chunk[] = [];
  for (let start = 0; start < t; start += rows) {
    const n = Math.min(rows, t - start);
    out.push({ start, n, keyEnd: Math.min(tk, tk - t + start + n) });
  }
  return out;
}

const keysOf = (x: tf.Tensor4D, c: Chunk): tf.Tensor4D => (c.keyEnd === x.shape[2] ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, c.keyEnd, -1]));
const biasOf = (bias: tf.Tensor4D, c: Chunk): tf.Tensor4D => tf.slice(bias, [0, 0, c.start, 0], [-1, -1, c.n, c.keyEnd]);

const rowsOf = <T extends tf.Tensor>(x: T, start: number, n: number): T => tf.slice(x, [0, 0, start, 0], [-1, -1, n, -1]);

/**
 * softmax(q·kᵀ/√d + bias)·v for q [B, nh, T, d], k and v [B, nkv, Tk, d], bias [B, 1, T, Tk]
 * (not differentiated: masks and positions). Gradients flow to q, k and v.
 */
export function fusedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor4D, opts: FusedAttentionOptions): tf.Tensor4D {
  const [b, nh, t, d] = q.shape;
  const [, nkv, tk] = k.shape;
  if (nh % nkv !== 0) throw new RangeError(`fusedAttention: ${nh} query heads are not a multiple of ${nkv} kv heads`);
  const s: Shapes = { b, nh, nkv, rep: nh / nkv, t, tk, d };
  const chunks = chunksOf(t, tk, attentionRowsPerChunk(b, nh, tk, opts.chunkBytes));

  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [qi, ki, vi] = args as tf.Tensor4D[];
    // Scaling q (T·d values) instead of the scores (T·Tk) saves a pass over every score block.
    const qs = tf.mul(qi!, 1 / Math.sqrt(d)) as tf.Tensor4D;
    const outs: tf.Tensor4D[] = [];
    const maxes: tf.Tensor4D[] = [];
    const sums: tf.Tensor4D[] = [];
    for (const c of chunks) {
      const [o, m, l] = tf.tidy(() => {
        const sc = scores(rowsOf(qs, c.start, c.n), keysOf(ki!, c), biasOf(bias, c), s, c.n);
        // Max subtraction as torch's softmax: exp(x - max) is exact where x - lse would round
        // away (a fully masked row sits near -1e9, where float32 steps are 64 apart).
        const mx = tf.max(sc, -1, true);
        const e = tf.exp(tf.sub(sc, mx));
        const sum = tf.sum(e, -1, true);
        const oc = ungrouped(tf.matMul(tf.div(e, sum), keysOf(vi!, c)), s, c.n);
        // Row statistics are kept per head [B, nh, n, 1] so chunks concatenate along rows.
        return [oc, ungrouped(mx, s, c.n), ungrouped(sum, s, c.n)] as tf.Tensor4D[];
      });
      outs.push(o!);
      maxes.push(m!);
      sums.push(l!);
    }
    const cat = (xs: tf.Tensor4D[]): tf.Tensor4D => (xs.length === 1 ? xs[0]! : (tf.concat(xs, 2) as tf.Tensor4D));
    const out = cat(outs);
    const mx = cat(maxes);
    const sum = cat(sums);
    // The bias is saved too: the caller's copy is gone (tidied) by the time the backward runs.
    save([qi!, ki!, vi!, out, mx, sum, bias]);
    return { value: out, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor4D, saved as tf.Tensor4D[], s, chunks) };
  });
  return f(q, k, v) as tf.Tensor4D;
}

/** dq, dk, dv chunk by chunk, recomputing each chunk's probabilities from the saved max and sum. */
function backward(dy: tf.Tensor4D, saved: tf.Tensor4D[], s: Shapes, chunks: readonly Chunk[]): tf.Tensor[] {
  const [q, k, v, out, mx, sum, bias] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const scale = 1 / Math.sqrt(s.d);
  const qs = tf.mul(q, scale) as tf.Tensor4D;
  let dk: tf.Tensor = tf.zerosLike(k);
  let dv: tf.Tensor = tf.zerosLike(v);
  const dqs: tf.Tensor[] = [];
  // A chunk's key gradients cover its keys only; the rest of Tk gets zeros.
  const toAllKeys = (x: tf.Tensor, c: Chunk): tf.Tensor => (c.keyEnd === s.tk ? x : tf.pad(x, [[0, 0], [0, 0], [0, s.tk - c.keyEnd], [0, 0]]));
  for (const c of chunks) {
    const [dq, dkNext, dvNext] = tf.tidy(() => {
      const qsc = rowsOf(qs, c.start, c.n);
      const kc = keysOf(k, c);
      const doc = grouped(rowsOf(dy, c.start, c.n), s, c.n);
      const sc = scores(qsc, kc, biasOf(bias, c), s, c.n);
      const p = tf.div(tf.exp(tf.sub(sc, grouped(rowsOf(mx, c.start, c.n), s, c.n))), grouped(rowsOf(sum, c.start, c.n), s, c.n));
      // softmax backward: dS = P ⊙ (dP − rowsum(dO ⊙ O)).
      const dRow = grouped(tf.sum(tf.mul(rowsOf(dy, c.start, c.n), rowsOf(out, c.start, c.n)), -1, true), s, c.n);
      const ds = tf.mul(p, tf.sub(tf.matMul(doc, keysOf(v, c), false, true), dRow));
      return [
        ungrouped(tf.mul(tf.matMul(ds, kc), scale), s, c.n),
        // scores = (q/√d)·kᵀ: d/dk takes the scaled queries.
        tf.add(dk, toAllKeys(tf.matMul(ds, grouped(qsc, s, c.n), true, false), c)),
        tf.add(dv, toAllKeys(tf.matMul(p, doc, true, false), c)),
      ];
    });
    dk.dispose();
    dv.dispose();
    dk = dkNext!;
    dv = dvNext!;
    dqs.push(dq!);
  }
  qs.dispose();
  const dq = dqs.length === 1 ? dqs[0]! : tf.concat(dqs, 2);
  if (dqs.length > 1) for (const x of dqs) x.dispose();
  return [dq, dk, dv];
}
