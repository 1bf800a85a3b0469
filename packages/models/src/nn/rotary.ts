/**
 * Rotary position embeddings with Hugging Face's `rotate_half` convention: the head
 * dimension is split in halves (not interleaved pairs), cos/sin repeat the frequencies
 * twice, and x' = x·cos + rotate_half(x)·sin with rotate_half(x) = [-x2, x1].
 */
import * as tf from '@tensorflow/tfjs-core';
import { ropeBackwardFused, ropeForwardFused, ropeFusedShape } from '../gpu/rope-wgsl.js';

/**
 * inv_freq[i] = 1 / theta^(2i / headDim), rounded through float32 at every step as torch
 * computes it (so long positions match HF, not a more exact float64 value).
 */
export function ropeInvFreq(headDim: number, theta: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headDim)));
  return out;
}

/** cos and sin for integer positions [B, T]: each [B, 1, T, headDim] (broadcast over heads). */
export function ropeCosSin(
  positionIds: tf.Tensor2D,
  headDim: number,
  theta: number,
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, t] = positionIds.shape;
    const inv = tf.tensor1d(ropeInvFreq(headDim, theta));
    const freqs = tf.mul(tf.reshape(tf.cast(positionIds, 'float32'), [b, t, 1]), tf.reshape(inv, [1, 1, headDim / 2]));
    const emb = tf.reshape(tf.concat([freqs, freqs], -1), [b, 1, t, headDim]);
    return { cos: tf.cos(emb) as tf.Tensor4D, sin: tf.sin(emb) as tf.Tensor4D };
  });
}

/**
 * Applies RoPE to x [B, heads, T, headDim] with cos/sin [B, 1, T, headDim]. One differentiable op
 * that keeps nothing for its backward (the rotation is linear; cos and sin are constants): as
 * tfjs ops, autodiff kept x and rotate_half(x), two copies of q or k per layer being trained.
 * On webgpu, float32, each direction is one dispatch of our own kernel (gpu/rope-wgsl.ts;
 * setFusedElementwiseDefault).
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  // Chosen once per call, so the backward runs the forward's kind (kernel or ops).
  const fused = ropeFusedShape(x, cos, sin);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor4D;
    // Saved (shared, not copied): the caller's cos and sin may be disposed before the backward runs.
    save([cos, sin]);
    return {
      value: fused ? ropeForwardFused(fused, xi, cos, sin) : tf.add(tf.mul(xi, cos), tf.mul(rotateHalf(xi, 1), sin)),
      // x' = x·cos + R(x)·sin with R[x1, x2] = [−x2, x1]: dx = dy·cos + Rᵀ(dy·sin), Rᵀ[z1, z2] = [z2, −z1].
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [c, s] = saved as tf.Tensor4D[];
          if (fused && dy.dtype === 'float32') return ropeBackwardFused(fused, dy, c!, s!);
          return tf.add(tf.mul(dy, c!), rotateHalf(tf.mul(dy, s!) as tf.Tensor4D, -1));
        }),
    };
  });
  return f(x) as tf.Tensor4D;
}

/** sign 1: rotate_half(x) = [−x2, x1]; sign −1: its transpose, [x2, −x1]. */
function rotateHalf(x: tf.Tensor4D, sign: 1 | -1): tf.Tensor4D {
  return tf.tidy(() => {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3);
    return tf.concat(sign === 1 ? [tf.neg(x2!), x1!] : [x2!, tf.neg(x1!)], 3) as tf.Tensor4D;
  });
}
