/**
 * The Adam update the demo's pretraining loops share (LM warm-up, vision pretraining): global
 * gradient-norm clipping, bias-corrected moments, optional decoupled weight decay, and a linear
 * warmup + cosine decay schedule. Small on purpose: @kvc/train's AdamW lives above this package.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ClippedAdamOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Global gradient-norm bound (default 1). */
  readonly clipNorm?: number;
  /** Decoupled (AdamW) weight decay per unit of learning rate (default 0). */
  readonly weightDecay?: number;
}

/** Adam over a fixed list of variables; `dispose()` frees the moments. */
export class ClippedAdam {
  private readonly m1: tf.Tensor[];
  private readonly m2: tf.Tensor[];
  private t = 0;

  constructor(
    private readonly vars: readonly tf.Variable[],
    private readonly o: ClippedAdamOptions = {},
  ) {
    this.m1 = vars.map((v) => tf.zeros(v.shape));
    this.m2 = vars.map((v) => tf.zeros(v.shape));
  }

  /** One update with learning rate `lr` from gradients keyed by variable name. */
  step(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    const [b1, b2, eps] = [this.o.beta1 ?? 0.9, this.o.beta2 ?? 0.98, this.o.eps ?? 1e-8];
    const wd = this.o.weightDecay ?? 0;
    const t = ++this.t;
    tf.tidy(() => {
      const gs = this.vars.map((v) => grads[v.name]!);
      const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
      const clip = tf.minimum(1, tf.div(this.o.clipNorm ?? 1, tf.add(norm, 1e-6)));
      this.vars.forEach((v, i) => {
        const g = tf.mul(gs[i]!, clip);
        const a = tf.add(tf.mul(this.m1[i]!, b1), tf.mul(g, 1 - b1));
        const s = tf.add(tf.mul(this.m2[i]!, b2), tf.mul(tf.square(g), 1 - b2));
        this.m1[i]!.dispose();
        this.m2[i]!.dispose();
        this.m1[i] = tf.keep(a);
        this.m2[i] = tf.keep(s);
        const update = tf.div(tf.div(a, 1 - b1 ** t), tf.add(tf.sqrt(tf.div(s, 1 - b2 ** t)), eps));
        const decayed = wd > 0 ? tf.mul(v, 1 - lr * wd) : v;
        v.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m1, ...this.m2]);
  }
}

/** Learning rate at step s (0-based): linear warmup to `peak`, then cosine decay to 0. */
export function warmupCosineLr(peak: number, steps: number, warmupRatio = 0.1): (s: number) => number {
  const warm = Math.max(1, Math.round(steps * warmupRatio));
  return (s) => (s < warm ? (peak * (s + 1)) / warm : peak * 0.5 * (1 + Math.cos((Math.PI * (s - warm)) / Math.max(1, steps - warm))));
}
