/**
 * `widenBf16OnGpu`: a bf16 checkpoint tensor's raw bytes as a float32 tensor on the webgpu backend, widened
 * there: the upload is half the f32 bytes, and the host no longer widens each value (a bf16 is an f32's top
 * half, so `bits << 16` is the exact f32, the same as io/dtype.ts's toFloat32 on the host). Loading the seed's
 * models spends much of its host time widening otherwise. Returns undefined when the f32 result would be over
 * `maxBytes` (nn/row-matrix.ts's backendMaxTensorBytes: one storage binding); the caller splits it, or widens on
 * the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from './webgpu-internals.js';

const WG = 256;
/** Workgroups along x; more go along y. */
const ROW = 32768;

export function widenBf16OnGpu(
  bytes: Uint8Array,
  shape: readonly number[],
  maxBytes: number,
  /** Workgroups a dispatch row (tests shrink it to reach the second row). */
  row = ROW,
): tf.Tensor | undefined {
  const n = shape.reduce((a, d) => a * d, 1);
  if (bytes.length !== 2 * n || n === 0 || 4 * n > maxBytes) return undefined;
  const words = Math.ceil(n / 2);
  // Whole u32 words of two bf16 each (element 2i in the low half): pad (a copy) unless the bytes already are.
  const aligned = n % 2 === 0 && bytes.byteOffset % 4 === 0;
  const src = aligned ? new Int32Array(bytes.buffer, bytes.byteOffset, words) : padded(bytes, words);
  const packed = tf.tensor1d(src, 'int32');
  try {
    const groups = Math.ceil(words / WG);
    const code = `@group(0) @binding(0) var<storage, read> W: array<u32>;
@group(0) @binding(1) var<storage, read_write> F: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let w = (wg.y * ${row}u + wg.x) * ${WG}u + lid;
  if (w >= ${words}u) { return; }
  let pair = W[w];
  F[2u * w] = bitcast<f32>(pair << 16u);
  if (2u * w + 1u < ${n}u) { F[2u * w + 1u] = bitcast<f32>(pair & 0xffff0000u); }
}`;
    return runKernel(code, [packed], [...shape], 'float32', [Math.min(groups, row), Math.ceil(groups / row)]);
  } finally {
    packed.dispose();
  }
}

function padded(bytes: Uint8Array, words: number): Int32Array {
  const out = new Int32Array(words);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
