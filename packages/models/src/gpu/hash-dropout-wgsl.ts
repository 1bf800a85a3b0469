/**
 * The device half of nn/hash-dropout.ts: one elementwise dispatch draws the mask from the element
 * index and the seed's key and applies it. The threshold and scale are part of the code (one
 * pipeline per dropout rate); the key and the first element's index change between calls, so
 * they are read from a small buffer. A tensor larger than one storage binding goes in slices, each
 * hashing its elements' indices in the whole tensor, so the mask does not depend on the slicing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HashDropoutParams } from '../nn/hash-dropout.js';
import { ELEMENTWISE_WORKGROUP as WG, elementwiseWgsl, f32Literal, flatDispatch } from './fused-elementwise.js';
import { runKernelOutputs, webgpuBackend } from './webgpu-internals.js';

/** lowbias32 in WGSL (u32 multiplication wraps, as Math.imul). */
const LOWBIAS32 = `fn lowbias32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}`;

/** n elements; p = [key, index of element 0 in the whole tensor]. */
export const hashDropoutWgsl = (n: number, params: HashDropoutParams): string =>
  elementwiseWgsl(
    n,
    `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> p: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${LOWBIAS32}`,
    `let keep = lowbias32(lowbias32(p[1] + i) ^ p[0]) >= ${params.threshold}u;
  y[i] = x[i] * select(0.0, ${f32Literal(params.scale)}, keep);`,
  );

/** Whether the kernel takes x: the webgpu backend is active and x is a non-empty float32. */
export const hashDropoutWebgpuTakes = (x: tf.Tensor): boolean =>
  tf.getBackend() === 'webgpu' && x.dtype === 'float32' && x.size > 0;

/** `limit`: the most elements one dispatch binds (a storage binding's; tests pass a small one to check the slicing). */
export function hashDropoutWebgpu(
  x: tf.Tensor,
  params: HashDropoutParams,
  limit = Math.floor(webgpuBackend().device.limits.maxStorageBufferBindingSize / 4),
): tf.Tensor {
  if (x.size <= limit) return dropSlice(x, 0, params);
  return tf.tidy(() => {
    const flat = tf.reshape(x, [x.size]);
    // Slices of whole workgroups, so that each slice's kernel covers it exactly.
    const step = Math.floor(limit / WG) * WG;
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < x.size; start += step) {
      parts.push(dropSlice(tf.slice(flat, [start], [Math.min(step, x.size - start)]), start, params));
    }
    return tf.reshape(tf.concat(parts), x.shape);
  });
}

function dropSlice(x: tf.Tensor, start: number, params: HashDropoutParams): tf.Tensor {
  // The key's bits and the offset as an int32 tensor: the binding reads them as u32 unchanged.
  const p = tf.tensor1d([params.key | 0, start | 0], 'int32');
  try {
    const code = hashDropoutWgsl(x.size, params);
    const out = { shape: x.shape, dtype: 'float32' as const };
    return runKernelOutputs(code, [x, p], [out], flatDispatch(Math.ceil(x.size / WG)))[0]!;
  } finally {
    p.dispose();
  }
}
