/**
 * Attention of one query row per head over a KV cache, split over the keys (flash-decode-wgsl.ts): what a
 * decoding step runs in place of the flash forward when no gradient is recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  decodeCombineWgsl,
  decodePartialWgsl,
  decodePartialWords,
  decodeSplits,
  decodeTakesWidth,
} from './flash-decode-wgsl.js';
import type { DecodeShape } from './flash-decode-wgsl.js';
import { runKernelOutputs } from './webgpu-internals.js';

const MAX_GROUPS = 65535;

/** The shape the decode kernels take for q [B, H, 1, d], k [B, Hkv, S, d] and a bias [B, 1, 1, S], or undefined. */
export function decodeShapeOf(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  bias: tf.Tensor4D | undefined,
  storageLimitBytes: number,
): DecodeShape | undefined {
  const [b, nh, t, d] = q.shape;
  const [, nkv, s] = k.shape;
  if (t !== 1 || nh % nkv !== 0 || !decodeTakesWidth(d) || q.dtype !== 'float32' || k.dtype !== 'float32')
    return undefined;
  if (bias && (bias.dtype !== 'float32' || bias.shape.join() !== [b, 1, 1, s].join())) return undefined;
  const shape: DecodeShape = { b, nh, nkv, s, d, bias: bias !== undefined };
  if (4 * decodePartialWords(shape) > storageLimitBytes || b * nkv > MAX_GROUPS || b * nh > MAX_GROUPS)
    return undefined;
  if (decodeSplits(shape) > MAX_GROUPS) return undefined;
  return shape;
}

/** softmax(q·kᵀ/√d + bias)·v for one query row per head: o [B, H, 1, d]. No gradient. */
export function flashDecode(
  shape: DecodeShape,
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D | undefined,
): tf.Tensor4D {
  const { b, nh, nkv, d } = shape;
  const rep = nh / nkv;
  const splits = decodeSplits(shape);
  const f32 = (dims: number[]) => ({ shape: dims, dtype: 'float32' as const });
  const [po, ps] = runKernelOutputs(
    decodePartialWgsl(shape),
    [q, k, v, ...(bias ? [bias] : [])],
    [f32([b * nkv, splits, rep, d]), f32([b * nkv, splits, rep, 2])],
    [splits, b * nkv],
  );
  const [o] = runKernelOutputs(decodeCombineWgsl(shape), [po!, ps!], [f32(q.shape)], [b * nh, 1]);
  tf.dispose([po!, ps!]);
  return o as tf.Tensor4D;
}
