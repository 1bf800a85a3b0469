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

let chosenSplit: number | undefined;

/** Sets the keys a workgroup of `partial` takes from now on (benchmarks compare them in the real step); undefined: the default. */
export function setDecodeSplit(split: number | undefined): void {
  chosenSplit = split;
}

/** Whether k is f16 rows (nn/kv-cache.ts f16 mode: int32 words of two halves, [.., d/2]), not float32. */
export const isF16Rows = (k: tf.Tensor): boolean => k.dtype === 'int32';

/**
 * The shape the decode kernels take for q [B, H, 1, d], k and v [B, Hkv, S, d] (float32, or both f16 rows
 * [B, Hkv, S, d/2]) and a bias [B, 1, 1, S], with `split` keys a workgroup (setDecodeSplit's, else DECODE_SPLIT), or
 * undefined (also when that split's workgroup memory is over `storageLimitBytes`).
 */
export function decodeShapeOf(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D | undefined,
  storageLimitBytes: number,
  split?: number,
): DecodeShape | undefined {
  const [b, nh, t, d] = q.shape;
  const [, nkv, s, kd] = k.shape;
  const f16 = isF16Rows(k);
  if (t !== 1 || nh % nkv !== 0 || !decodeTakesWidth(d) || q.dtype !== 'float32') return undefined;
  if (v.dtype !== k.dtype || (!f16 && k.dtype !== 'float32') || kd !== (f16 ? d / 2 : d)) return undefined;
  if (!tf.util.arraysEqual(v.shape, k.shape)) return undefined;
  if (bias && (bias.dtype !== 'float32' || bias.shape.join() !== [b, 1, 1, s].join())) return undefined;
  const keys = split ?? chosenSplit;
  const shape: DecodeShape = {
    b,
    nh,
    nkv,
    s,
    d,
    bias: bias !== undefined,
    ...(f16 ? { f16 } : {}),
    ...(keys === undefined ? {} : { split: keys }),
  };
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
