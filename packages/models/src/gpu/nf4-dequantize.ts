/**
 * `dequantizeNf4OnGpu`: the f32 matrix [rows, cols] an Nf4Matrix stands for, computed on the GPU
 * (table value × block scale, exactly the host's f32 dequantization). For what needs W itself
 * (merging an adapter into it, checks) and for the benchmark's "dequantize, then f16 GEMM"
 * comparison; the products themselves never materialize W (nf4-gemm.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import type { Nf4Matrix } from '../quant/nf4-matrix.js';
import { runKernel } from './webgpu-internals.js';
import { nf4DecodeWgsl } from './nf4-wgsl.js';

const WG = 64;
const MAX_ROWS = 65535; // one dispatch row of workgroups per matrix row

export function dequantizeNf4OnGpu(w: Nf4Matrix): tf.Tensor2D {
  if (w.rows > MAX_ROWS) {
    throw new BackendError(
      'E_GPU_SHAPE',
      `dequantizeNf4OnGpu: at most ${MAX_ROWS} rows, got ${w.rows}`,
      { rows: w.rows, cols: w.cols },
      'dequantize the matrix in row blocks',
    );
  }
  const code = `@group(0) @binding(0) var<storage, read> Q: array<u32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
${nf4DecodeWgsl(w.blocksize)}
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * ${WG}u + lid;
  if (c >= ${w.cols}u) { return; }
  let e = wg.y * ${w.cols}u + c;
  D[e] = nf4At(e);
}`;
  const dispatch: [number, number] = [Math.ceil(w.cols / WG), w.rows];
  return runKernel(code, [w.codes, w.absmax], [w.rows, w.cols], 'float32', dispatch) as tf.Tensor2D;
}
