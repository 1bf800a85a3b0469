/**
 * Qwen3's queries and keys from their projections: each head's vector RMSNorm'd (q_norm, k_norm, as HF's
 * Qwen3Attention does before RoPE), heads moved first, RoPE applied. At inference on webgpu all of it is one
 * dispatch for q and k together (gpu/qk-norm-rope-wgsl.ts: bit for bit the same values); where a gradient is
 * recorded, or the kernel does not take the tensors, it is rmsNorm, headsFirst and applyRope each.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import { qkNormRopeFused, qkNormRopeShape } from '../gpu/qk-norm-rope-wgsl.js';
import { headsFirst } from './heads.js';
import { rmsNorm } from './rms-norm.js';
import { applyRope } from './rotary.js';

/** q [B, T, Hq·d] and k [B, T, Hk·d] → q [B, Hq, T, d] and k [B, Hk, T, d], normed and rotated. */
export function qkNormRope(
  q: tf.Tensor,
  k: tf.Tensor,
  norms: { readonly q: tf.Tensor1D; readonly k: tf.Tensor1D },
  rope: { readonly cos: tf.Tensor4D; readonly sin: tf.Tensor4D },
  heads: { readonly b: number; readonly t: number; readonly hq: number; readonly hk: number; readonly d: number },
  eps: number,
): { q: tf.Tensor4D; k: tf.Tensor4D } {
  const trainable = (w: tf.Tensor) => w instanceof tf.Variable && w.trainable;
  const s =
    tapeRecording() || trainable(norms.q) || trainable(norms.k)
      ? undefined
      : qkNormRopeShape(q, k, norms.q, norms.k, rope.cos, rope.sin, heads);
  if (s) return qkNormRopeFused(s, q, k, norms.q, norms.k, rope.cos, rope.sin, eps);
  const { b, t, hq, hk, d } = heads;
  const one = (x: tf.Tensor, w: tf.Tensor1D, h: number) =>
    applyRope(headsFirst(rmsNorm(tf.reshape(x, [b, t, h, d]), w, eps) as tf.Tensor4D), rope.cos, rope.sin);
  return { q: one(q, norms.q, hq), k: one(k, norms.k, hk) };
}
