/**
 * RMSNorm as Hugging Face's Llama/Qwen3 compute it: weight * x / sqrt(mean(x²) + eps).
 *
 * One differentiable op that keeps x and the per-row 1/rms for its backward. As tfjs ops, autodiff
 * kept x², x·r and w·x·r as well (each multiply saves its inputs): three more tensors the size of
 * x for every norm of a layer being trained. The weight is frozen here (every norm in kvc's
 * training is: LoRA adapts the linear layers only), so no gradient flows to it; a trainable
 * weight (a tf.Variable) takes the plain ops, whose autodiff covers it. On webgpu, float32, each
 * direction is one dispatch of our own kernel (gpu/rms-norm-wgsl.ts; setFusedElementwiseDefault).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import { addRmsNormFused, rmsNormBackwardFused, rmsNormForwardFused, rmsNormFusedTakes } from '../gpu/rms-norm-wgsl.js';

/** Normalises over the last axis of `x`; `weight` has that axis' size. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  if (weight instanceof tf.Variable && weight.trainable) return tf.tidy(() => rmsNormOps(x, weight, eps).y);
  // Chosen once per call, so the backward runs the forward's kind (kernel or ops).
  const fused = rmsNormFusedTakes(x, weight);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const xi = args[0] as tf.Tensor;
    const { y, r } = fused ? rmsNormForwardFused(xi, weight, eps) : rmsNormOps(xi, weight, eps);
    save([xi, r, weight]); // the weight too: a caller's may be gone by the backward (shared, not copied)
    return {
      value: y,
      // y = w·x·r, r = (mean(x²) + eps)^(-1/2): dx = r·(g − x̂·mean(g·x̂)) with g = w·dy, x̂ = x·r.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sr, sw] = saved;
          if (fused && dy.dtype === 'float32') return rmsNormBackwardFused(sx!, sr!, sw!, dy);
          const g = tf.mul(dy, sw!);
          const xh = tf.mul(sx!, sr!);
          return tf.mul(sr!, tf.sub(g, tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))));
        }),
    };
  });
  return f(x);
}

/**
 * The residual stream's next value x + h and its RMSNorm. At inference on webgpu that is one dispatch
 * (gpu/rms-norm-wgsl.ts: the same values as the add and the fused norm); where a gradient is recorded,
 * or the kernels do not take the tensors, it is tf.add and rmsNorm.
 */
export function addRmsNorm(
  x: tf.Tensor,
  h: tf.Tensor,
  weight: tf.Tensor,
  eps: number,
): { sum: tf.Tensor; y: tf.Tensor } {
  const oneKernel =
    !tapeRecording() &&
    !(weight instanceof tf.Variable && weight.trainable) &&
    h.dtype === x.dtype &&
    tf.util.arraysEqual(h.shape, x.shape) &&
    rmsNormFusedTakes(x, weight);
  if (oneKernel) return addRmsNormFused(x, h, weight, eps);
  const sum = tf.add(x, h);
  return { sum, y: rmsNorm(sum, weight, eps) };
}

/** The forward, in HF's order of operations (the values parity checks). */
function rmsNormOps(x: tf.Tensor, weight: tf.Tensor, eps: number): { y: tf.Tensor; r: tf.Tensor } {
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps));
  return { y: tf.mul(weight, tf.mul(x, r)), r };
}
