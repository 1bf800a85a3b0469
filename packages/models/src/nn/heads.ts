/**
 * Moving between the residual layout [B, T, heads·d] and the per-head layout attention reads. On webgpu the
 * transposes are one copy kernel each way (gpu/swap-axes-wgsl.ts; setFusedElementwiseDefault), elsewhere
 * tf.transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { swapAxesFused, swapAxesTakes } from '../gpu/swap-axes-wgsl.js';

/**
 * [B, X, Y, D] → [B, Y, X, D], differentiable: its gradient is the same swap back. `heads`: which of X and Y is
 * the heads (the kernel's code holds it; the other side may be any length).
 */
function swapAxes12(x: tf.Tensor4D, heads: 'x' | 'y'): tf.Tensor4D {
  if (!swapAxesTakes(x)) return tf.transpose(x, [0, 2, 1, 3]);
  const back = heads === 'x' ? 'y' : 'x';
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: swapAxesFused(args[0] as tf.Tensor4D, heads),
    gradFunc: (dy: tf.Tensor) =>
      swapAxesTakes(dy) ? swapAxesFused(dy as tf.Tensor4D, back) : tf.transpose(dy, [0, 2, 1, 3]),
  }));
  return f(x) as tf.Tensor4D;
}

/** [B, T, heads·d] → [B, heads, T, d]. */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t, h] = x.shape as [number, number, number];
    return headsFirst(tf.reshape(x, [b, t, heads, h / heads]) as tf.Tensor4D);
  });
}

/** [B, heads, T, d] → [B, T, heads·d]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, n, t, d] = x.shape;
    // One position (a decoding step): [B, heads, 1, d] is already [B, 1, heads, d] in memory.
    return tf.reshape(t === 1 ? x : swapAxes12(x, 'x'), [b, t, n * d]) as tf.Tensor3D;
  });
}

/**
 * [B, T, heads, d] → [B, heads, T, d]. At one position (a decoding step) the two orders are the same memory, so
 * a reshape: no transpose dispatch (four a layer per decoding step before).
 */
export function headsFirst(x: tf.Tensor4D): tf.Tensor4D {
  const [b, t, n, d] = x.shape;
  return (t === 1 ? tf.reshape(x, [b, n, t, d]) : swapAxes12(x, 'y')) as tf.Tensor4D;
}
