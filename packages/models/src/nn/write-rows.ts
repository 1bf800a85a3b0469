/// <reference types="@webgpu/types" />
/**
 * Writes rows into a preallocated tensor in place: `src` [B, H, t, D] goes to rows
 * [start, start + t) of `dst` [B, H, capacity, D] (a KV cache, its mask). tfjs tensors are
 * immutable, so each backend needs its own way in: on webgpu a small WGSL kernel recorded in
 * tfjs's command stream writes into `dst`'s GPUBuffer; on cpu and wasm the values are a typed
 * array (in the JS heap, in the wasm heap) that we write directly. Other backends get a new
 * tensor built with tf ops (the caller keeps whatever is returned).
 *
 * Only for tensors the caller alone holds (created with tf.zeros/tf.ones, never cloned): a
 * tensor sharing `dst`'s data would change with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernelOutputs } from '../gpu/webgpu-internals.js';

const WORKGROUP = 256;
const MAX_GROUPS = 65535;

/**
 * The kernel for `n` pairs of one shape (a layer's keys and values: one dispatch for both). p = [start, t,
 * capacity, U, total] in units of a dst element: one invocation per unit of a src, writing that unit of every
 * pair. `f16`: a dst unit is a u32 of two halves (writeRowsF16), a src's two floats rounded to nearest.
 */
const kernels = new Map<string, string>();
const writeRowsWgsl = (n: number, f16: boolean): string => {
  const key = `${n},${f16}`;
  const known = kernels.get(key);
  if (known) return known;
  const pairs = Array.from({ length: n }, (_, j) => j);
  const unit = (j: number) => (f16 ? `pack2x16float(vec2<f32>(src${j}[2 * i], src${j}[2 * i + 1]))` : `src${j}[i]`);
  const code = /* wgsl */ `
${pairs.map((j) => `@group(0) @binding(${j}) var<storage, read> src${j}: array<f32>;`).join('\n')}
@group(0) @binding(${n}) var<storage, read> p: array<i32>;
${pairs.map((j) => `@group(0) @binding(${n + 1 + j}) var<storage, read_write> dst${j}: array<${f16 ? 'u32' : 'f32'}>;`).join('\n')}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = i32(g.x + g.y * ${MAX_GROUPS * WORKGROUP}u);
  if (i >= p[4]) { return; }
  let d = p[3];
  let t = p[1];
  let col = i % d;
  let row = (i / d) % t;
  let bh = i / (d * t);
  let at = (bh * p[2] + p[0] + row) * d + col;
  ${pairs.map((j) => `dst${j}[at] = ${unit(j)};`).join(' ')}
}`;
  kernels.set(key, code);
  return code;
};

/**
 * The kernel's parameters [start, t, capacity, D, total] as an int32 tensor the caller keeps (KvCache reuses one for
 * every layer's keys and values of a step: a new tensor per write is an upload per write).
 */
export type RowParams = (values: readonly number[]) => tf.Tensor1D;

/** Rows [start, start + t) of `dst` ← `src`. Returns the tensor that holds the result (`dst` when in place). */
export function writeRows<T extends tf.Tensor4D>(dst: T, src: tf.Tensor4D, start: number, params?: RowParams): T {
  check(dst, src, start);
  const backend = tf.getBackend();
  if (backend === 'webgpu') writeWebgpu([dst], [src], start, params);
  else if (backend === 'cpu' || backend === 'wasm') writeHeap(dst, src, start, heapOf(dst, backend));
  else return writeWithOps(dst, src, start);
  return dst;
}

/**
 * writeRows for several destinations of one shape with sources of one shape (a layer's keys and values): on
 * webgpu one dispatch for all of them. Returns what holds each result, in order.
 */
export function writeRowsTogether<T extends tf.Tensor4D>(
  pairs: readonly (readonly [dst: T, src: tf.Tensor4D])[],
  start: number,
  params?: RowParams,
): T[] {
  const [first] = pairs;
  const same =
    first !== undefined &&
    pairs.every(
      ([dst, src]) => tf.util.arraysEqual(dst.shape, first[0].shape) && tf.util.arraysEqual(src.shape, first[1].shape),
    );
  if (!same || pairs.length < 2 || tf.getBackend() !== 'webgpu') {
    return pairs.map(([dst, src]) => writeRows(dst, src, start, params));
  }
  for (const [dst, src] of pairs) check(dst, src, start);
  writeWebgpu(
    pairs.map(([dst]) => dst),
    pairs.map(([, src]) => src),
    start,
    params,
  );
  return pairs.map(([dst]) => dst);
}

/**
 * writeRowsTogether into f16 rows (KvCache's f16 mode, webgpu only): each `dst` [B, H, capacity, D/2] int32 holds
 * two halves a word (the low half first, as unpack2x16float reads them); each `src` [B, H, t, D] float32 is rounded
 * to nearest. One dispatch for all pairs.
 */
export function writeRowsF16<T extends tf.Tensor4D>(
  pairs: readonly (readonly [dst: T, src: tf.Tensor4D])[],
  start: number,
  params?: RowParams,
): void {
  if (tf.getBackend() !== 'webgpu') throw new Error(`writeRowsF16: webgpu only, not ${tf.getBackend()}`);
  const [first] = pairs;
  if (!first) return;
  for (const [dst, src] of pairs) {
    const [b, h, cap, w] = dst.shape;
    const t = src.shape[2];
    if (
      !tf.util.arraysEqual(dst.shape, first[0].shape) ||
      !tf.util.arraysEqual(src.shape, first[1].shape) ||
      src.shape[0] !== b ||
      src.shape[1] !== h ||
      src.shape[3] !== 2 * w ||
      start < 0 ||
      start + t > cap
    )
      throw new RangeError(`writeRowsF16: [${src.shape}] at row ${start} does not fit f16 rows [${dst.shape}]`);
    if (dst.dtype !== 'int32' || src.dtype !== 'float32')
      throw new TypeError('writeRowsF16: int32 rows of half pairs, float32 sources');
  }
  writeWebgpu(
    pairs.map(([dst]) => dst),
    pairs.map(([, src]) => src),
    start,
    params,
    true,
  );
}

/** The typed array behind a cpu or wasm tensor (its live storage, not a copy). */
function heapOf(x: tf.Tensor, backend: string): Float32Array {
  const be = tf.backend() as unknown as {
    data?: { get(id: object): { values: Float32Array } };
    typedArrayFromHeap?: (info: tf.TensorInfo) => Float32Array;
  };
  const arr = backend === 'wasm' ? be.typedArrayFromHeap!(x) : be.data!.get(x.dataId).values;
  if (!(arr instanceof Float32Array) || arr.length !== x.size)
    throw new Error(`writeRows: no ${backend} storage of ${x.size} floats behind the tensor`);
  return arr;
}

function writeHeap(dst: tf.Tensor4D, src: tf.Tensor4D, start: number, out: Float32Array): void {
  const [b, h, cap, d] = dst.shape;
  const t = src.shape[2];
  const values = src.dataSync() as Float32Array;
  for (let bh = 0; bh < b * h; bh++) {
    out.set(values.subarray(bh * t * d, (bh + 1) * t * d), (bh * cap + start) * d);
  }
}

/** RangeError or TypeError unless `src` fits rows [start, start + t) of `dst`, both float32. */
function check(dst: tf.Tensor4D, src: tf.Tensor4D, start: number): void {
  const [b, h, cap, d] = dst.shape;
  const t = src.shape[2];
  if (src.shape[0] !== b || src.shape[1] !== h || src.shape[3] !== d || start < 0 || start + t > cap)
    throw new RangeError(`writeRows: [${src.shape}] at row ${start} does not fit [${dst.shape}]`);
  if (dst.dtype !== 'float32' || src.dtype !== 'float32') throw new TypeError('writeRows: float32 tensors only');
}

/** Every src into its dst (all dsts of one shape, all srcs of one shape), one dispatch; `f16`: dsts of half pairs. */
function writeWebgpu(dsts: tf.Tensor4D[], srcs: tf.Tensor4D[], start: number, provided?: RowParams, f16 = false): void {
  const [, , cap, u] = dsts[0]!.shape;
  const src = srcs[0]!;
  const total = f16 ? src.size / 2 : src.size;
  if (total === 0) return;
  const values = [start, src.shape[2], cap, u, total];
  const params = provided ? provided(values) : tf.tensor1d(values, 'int32');
  const groups = Math.ceil(total / WORKGROUP);
  // No outputs: the kernel writes into the dsts, bound read_write after the srcs and the parameters.
  runKernelOutputs(
    writeRowsWgsl(dsts.length, f16),
    [...srcs, params, ...dsts],
    [],
    [Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS)],
  );
  if (!provided) params.dispose();
}

/** Backends with no writable storage: a new tensor, rows replaced by slices and a concat. */
function writeWithOps<T extends tf.Tensor4D>(dst: T, src: tf.Tensor4D, start: number): T {
  const cap = dst.shape[2];
  const t = src.shape[2];
  const out = tf.tidy(() => {
    const parts: tf.Tensor4D[] = [];
    if (start > 0) parts.push(tf.slice(dst, [0, 0, 0, 0], [-1, -1, start, -1]));
    parts.push(src);
    if (start + t < cap) parts.push(tf.slice(dst, [0, 0, start + t, 0], [-1, -1, cap - start - t, -1]));
    return tf.concat(parts, 2) as T;
  });
  dst.dispose();
  return out;
}
