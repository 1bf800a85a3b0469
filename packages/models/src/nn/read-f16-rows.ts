/**
 * The first `rows` rows of f16 rows (KvCache's f16 mode: [B, H, capacity, D/2] int32, two halves a word, written by
 * write-rows.ts writeRowsF16) as float32 [B, H, rows, D], for the kernels that take float32 keys and values (a
 * prefill chunk's attention). Exact: every half is a float32. One dispatch; webgpu only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernelOutputs } from '../gpu/webgpu-internals.js';

const WORKGROUP = 256;
const MAX_GROUPS = 65535;

export function readF16Rows(src: tf.Tensor4D, rows: number): tf.Tensor4D {
  if (tf.getBackend() !== 'webgpu') throw new Error(`readF16Rows: webgpu only, not ${tf.getBackend()}`);
  const [b, h, cap, w] = src.shape;
  if (src.dtype !== 'int32') throw new TypeError('readF16Rows: int32 rows of half pairs');
  if (!(rows >= 0 && rows <= cap)) throw new RangeError(`readF16Rows: ${rows} rows of [${src.shape}]`);
  const words = b * h * rows * w;
  const groups = Math.ceil(words / WORKGROUP);
  // One invocation a word: its two halves go to two consecutive floats of the output.
  const code = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x + g.y * ${MAX_GROUPS * WORKGROUP}u;
  if (i >= ${words}u) { return; }
  let col = i % ${w}u;
  let row = (i / ${w}u) % ${rows}u;
  let bh = i / ${w * rows}u;
  dst[i] = unpack2x16float(src[(bh * ${cap}u + row) * ${w}u + col]);
}`;
  const shape: [number, number, number, number] = [b, h, rows, 2 * w];
  if (words === 0) return tf.zeros(shape);
  const out = { shape, dtype: 'float32' as const };
  return runKernelOutputs(
    code,
    [src],
    [out],
    [Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS)],
  )[0] as tf.Tensor4D;
}
