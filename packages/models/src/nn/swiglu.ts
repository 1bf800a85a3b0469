/**
 * The SwiGLU gate of Qwen3's MLP, silu(g)·u = g·σ(g)·u, as one differentiable op that keeps only
 * g and u (the up and gate projections, which exist anyway) for its backward. As tfjs ops,
 * autodiff kept σ(g) and g·σ(g) too: two more [tokens, intermediate] tensors a layer, 2 GB at
 * Qwen3-8B widths and the seed's batch. The forward is the same ops in the same order.
 */
import * as tf from '@tensorflow/tfjs-core';

/** g·σ(g)·u for g and u of one shape; gradients flow to both. */
export function swiGlu(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [gi, ui] = args as tf.Tensor[];
    save([gi!, ui!]);
    return {
      value: tf.mul(tf.mul(gi!, tf.sigmoid(gi!)), ui!),
      // d(g·σ(g))/dg = σ(g)·(1 + g·(1 − σ(g))).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sg, su] = saved;
          const s = tf.sigmoid(sg!);
          const dSilu = tf.mul(s, tf.add(1, tf.mul(sg!, tf.sub(1, s))));
          return [tf.mul(tf.mul(dy, su!), dSilu), tf.mul(dy, tf.mul(sg!, s))];
        }),
    };
  });
  return f(g, u);
}
