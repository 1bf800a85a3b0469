/**
 * The SwiGLU gate of Qwen3's MLP, silu(g)·u = g·σ(g)·u, as one differentiable op that keeps only
 * g and u (the up and gate projections, which exist anyway) for its backward. As tfjs ops,
 * autodiff kept σ(g) and g·σ(g) too: two more [tokens, intermediate] tensors a layer, 2 GB at
 * Qwen3-8B widths and the seed's batch. The forward is the same ops in the same order. On webgpu,
 * float32, each direction is one dispatch of our own kernel (gpu/swiglu-wgsl.ts; setFusedElementwiseDefault).
 */
import * as tf from '@tensorflow/tfjs-core';
import { swiGluBackwardFused, swiGluForwardFused, swiGluFusedTakes } from '../gpu/swiglu-wgsl.js';

/** g·σ(g)·u for g and u of one shape; gradients flow to both. */
export function swiGlu(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  // Chosen once per call, so the backward runs the forward's kind (kernel or ops).
  const fused = swiGluFusedTakes(g, u);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [gi, ui] = args as tf.Tensor[];
    save([gi!, ui!]);
    return {
      value: fused ? swiGluForwardFused(gi!, ui!) : tf.mul(tf.mul(gi!, tf.sigmoid(gi!)), ui!),
      // d(g·σ(g))/dg = σ(g)·(1 + g·(1 − σ(g))).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sg, su] = saved;
          if (fused && dy.dtype === 'float32') return swiGluBackwardFused(sg!, su!, dy);
          const s = tf.sigmoid(sg!);
          const dSilu = tf.mul(s, tf.add(1, tf.mul(sg!, tf.sub(1, s))));
          return [tf.mul(tf.mul(dy, su!), dSilu), tf.mul(dy, tf.mul(sg!, s))];
        }),
    };
  });
  return f(g, u);
}
