/**
 * The throwaway linear heads of vision pretraining: one per target, reading either a whole
 * frame's patch tokens (flattened, so "where" stays readable) or each patch token alone
 * (shared weights, per-patch labels). Class targets use softmax cross-entropy over labelled
 * rows (label -1 = no label), regression targets mean squared error. Every tensor op here is
 * differentiable on wasm (one-hot targets built in JS, no gather).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@kvc/models';
import { CliError } from '../cli-error.js';

interface TargetBase {
  readonly name: string;
  /** `frame` (default): one label per frame from all its patch tokens; `patch`: one per patch token. */
  readonly per?: 'frame' | 'patch';
  /** Loss weight (default 1). */
  readonly weight?: number;
}

/** What a frame (or each patch) should make linearly readable. */
export type VisionTarget =
  | (TargetBase & {
      readonly kind: 'class';
      readonly classes: number;
      /** N (or N·patches) class ids, -1 = unlabelled. */ readonly labels: ArrayLike<number>;
    })
  | (TargetBase & {
      readonly kind: 'regression';
      readonly dims: number;
      /** N·dims (or N·patches·dims) values. */ readonly values: ArrayLike<number>;
    });

export interface TargetHeads {
  readonly variables: tf.Variable[];
  /** Weighted sum of the targets' losses for tokens [B, patches, H] of frames `idx`. */
  loss(tokens: tf.Tensor3D, idx: readonly number[]): tf.Scalar;
  /** `loss` plus each target's accuracy (class) or mean squared error (regression), read asynchronously. */
  metrics(tokens: tf.Tensor3D, idx: readonly number[]): Promise<Record<string, number>>;
  dispose(): void;
}

export function targetHeads(
  targets: readonly VisionTarget[],
  s: { frames: number; patches: number; hidden: number; rng: SeededRandom },
): TargetHeads {
  const heads = targets.map((t) => {
    const perPatch = t.per === 'patch';
    const out = t.kind === 'class' ? t.classes : t.dims;
    const rowsPerFrame = perPatch ? s.patches : 1;
    const have = t.kind === 'class' ? t.labels.length : t.values.length;
    const want = s.frames * rowsPerFrame * (t.kind === 'class' ? 1 : t.dims);
    if (have !== want || !(out >= 1)) {
      const context = { target: t.name, have, want };
      throw new CliError('E_BAD_ARGUMENT', `vision target ${t.name}: ${have} values, expected ${want}`, context);
    }
    const fanIn = perPatch ? s.hidden : s.patches * s.hidden;
    const bound = 1 / Math.sqrt(fanIn);
    const [w, b] = tf.tidy(() => [
      tf.variable(tf.tensor2d(s.rng.uniform(fanIn * out, -bound, bound), [fanIn, out]), true),
      tf.variable(tf.zeros([out]), true),
    ]);
    return { t, perPatch, out, rowsPerFrame, fanIn, w, b };
  });

  /** Per-target rows for frames idx: [rows, fanIn] inputs, predictions, and the JS-side targets. */
  const run = (tokens: tf.Tensor3D, idx: readonly number[]) =>
    heads.map((h) => {
      const x = tf.reshape(tokens, [-1, h.fanIn]);
      const pred = tf.add(tf.matMul(x, h.w), h.b) as tf.Tensor2D;
      const rows = idx.flatMap((i) => Array.from({ length: h.rowsPerFrame }, (_, p) => i * h.rowsPerFrame + p));
      const y = new Float32Array(rows.length * h.out);
      let labelled = 0;
      if (h.t.kind === 'class') {
        const labels = h.t.labels;
        rows.forEach((r, k) => {
          const c = labels[r]!;
          if (c >= 0 && c < h.out) {
            y[k * h.out + c] = 1;
            labelled++;
          }
        });
      } else {
        const values = h.t.values;
        rows.forEach((r, k) => {
          for (let d = 0; d < h.out; d++) y[k * h.out + d] = values[r * h.out + d]!;
        });
        labelled = rows.length;
      }
      const target = tf.tensor2d(y, [rows.length, h.out]);
      const loss =
        h.t.kind === 'class'
          ? tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(pred), target))), Math.max(1, labelled))
          : tf.mean(tf.square(tf.sub(pred, target)));
      return { h, pred, y, labelled, loss: tf.mul(loss, h.t.weight ?? 1) as tf.Scalar };
    });

  return {
    variables: heads.flatMap((h) => [h.w, h.b]),
    loss: (tokens, idx) => tf.tidy(() => tf.addN(run(tokens, idx).map((r) => r.loss)) as tf.Scalar),
    metrics: async (tokens, idx) => {
      let rs: ReturnType<typeof run> = [];
      const out = tf.tidy(() => {
        rs = run(tokens, idx);
        return { loss: tf.addN(rs.map((r) => r.loss)), preds: rs.map((r) => r.pred) };
      });
      try {
        const m: Record<string, number> = { loss: (await out.loss.data())[0]! };
        for (const [k, r] of rs.entries()) {
          const p = (await out.preds[k]!.data()) as Float32Array;
          if (r.h.t.kind === 'regression') {
            m[r.h.t.name] = p.reduce((a, v, i) => a + (v - r.y[i]!) ** 2, 0) / Math.max(1, p.length);
            continue;
          }
          let right = 0;
          for (let row = 0; row < p.length / r.h.out; row++) {
            const ys = r.y.subarray(row * r.h.out, (row + 1) * r.h.out);
            const ps = p.subarray(row * r.h.out, (row + 1) * r.h.out);
            if (ys.every((v) => v === 0)) continue;
            if (ys[ps.indexOf(Math.max(...ps))] === 1) right++;
          }
          m[r.h.t.name] = right / Math.max(1, r.labelled);
        }
        return m;
      } finally {
        tf.dispose([out.loss, ...out.preds]);
      }
    },
    dispose: () => tf.dispose(heads.flatMap((h) => [h.w, h.b])),
  };
}
