/**
 * The two products of a frozen NF4 linear layer for nf4-gemm-bench.ts: checking one against the
 * CPU (W dequantized on the host in f32, error in units of the derived f16 bound), and timing one
 * at full size next to the f16 GEMM on the same shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  dequantizeNf4OnGpu,
  F16Matrix,
  gemm,
  gemmKernel,
  nf4Gemm,
  nf4GemmKernel,
} from '../../packages/models/src/gpu/index.js';
import type { GemmVariant, Nf4SubgroupMatrixTiling } from '../../packages/models/src/gpu/index.js';
import { allEntries, nf4ErrorRatio } from '../../packages/models/src/gpu/nf4-error-ratio.js';
import { prng, randomNf4, type HostNf4 } from '../../packages/models/src/gpu/nf4-host.js';
import { gpuBufferOf, runKernel, webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';
import { timeDispatch } from './nf4-kernel-timing.js';
import { drainGpu } from './time-on-gpu.js';

/** W is [out, in]; forward y = x·Wᵀ (M×out×in), else the input gradient dx = dy·W (M×in×out). */
export interface Product {
  readonly m: number;
  readonly out: number;
  readonly inp: number;
  readonly forward: boolean;
}
const dims = (p: Product) => (p.forward ? { k: p.inp, n: p.out } : { k: p.out, n: p.inp });
const label = (p: Product) => `${p.forward ? 'y=x·Wt' : 'dx=dy·W'} ${p.m}x${dims(p).n}x${dims(p).k}`;
/** op(W)[q, j] read from the host copy. */
const opW = (w: HostNf4, forward: boolean) =>
  forward ? (q: number, j: number) => w.at(j, q) : (q: number, j: number) => w.at(q, j);

/** Error/bound of `c` on the given rows (all columns, or `cols`) against a's rows and the host W. */
async function sampledRatio(c: tf.Tensor2D, a: tf.Tensor2D, w: HostNf4, p: Product, rows: number[], cols?: number[]) {
  const { k, n } = dims(p);
  const idx = tf.tensor1d(rows, 'int32');
  const [cr, ar] = tf.tidy(() => [tf.gather(c, idx), tf.gather(a, idx)]);
  const [cv, av] = [await cr!.data(), await ar!.data()];
  tf.dispose([idx, cr!, ar!]);
  const entries = cols ? rows.flatMap((_, i) => cols.map((j) => [i, j] as const)) : allEntries(rows.length, n);
  return nf4ErrorRatio(
    (i, j) => cv[i * n + j]!,
    (i, q) => av[i * k + q]!,
    opW(w, p.forward),
    k,
    entries,
  );
}

async function withGpuErrors<T>(f: () => Promise<T>): Promise<[T | undefined, string]> {
  const device = webgpuBackend().device;
  device.pushErrorScope('validation');
  let value: T | undefined,
    why = '';
  try {
    value = await f();
  } catch (err) {
    why = ` ERROR ${(err as Error).message.split('\n')[0]}`;
  }
  const e = await device.popErrorScope();
  return [value, why + (e ? ` GPU ERROR ${e.message.split('\n')[0]}` : '')];
}

export async function checkProduct(p: Product, variant: GemmVariant, tiling?: Nf4SubgroupMatrixTiling) {
  const w = randomNf4(p.out, p.inp, p.m + p.out + p.inp);
  const a = tf.randomUniform([p.m, dims(p).k], -1, 1, 'float32', 5) as tf.Tensor2D;
  const [r, why] = await withGpuErrors(async () => {
    const c = nf4Gemm(a, w.matrix, { transB: p.forward, variant, tiling });
    const rows = Array.from({ length: p.m }, (_, i) => i);
    const ratio = await sampledRatio(c, a, w, p, rows);
    c.dispose();
    return ratio;
  });
  tf.dispose(a);
  w.matrix.dispose();
  const verdict = r !== undefined && r <= 1 && !why ? 'PASS' : 'FAIL';
  return `${label(p)}: error/bound ${r?.toFixed(3)} ${verdict}${why}`;
}

/**
 * A uniform [-1, 1) matrix made on the GPU from a hash of the index (tf.randomUniform draws on the
 * CPU: seconds for the 21504×12288 activations).
 */
function gpuRandom(rows: number, cols: number, seed: number): tf.Tensor2D {
  const code = `@group(0) @binding(0) var<storage, read_write> D: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x * 64u + lid;
  if (c >= ${cols}u) { return; }
  var h = (wg.y * ${cols}u + c) * 747796405u + ${seed >>> 0}u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  h = (h >> 22u) ^ h;
  D[wg.y * ${cols}u + c] = f32(h >> 8u) / 8388608.0 - 1.0;
}`;
  return runKernel(code, [], [rows, cols], 'float32', [Math.ceil(cols / 64), rows]) as tf.Tensor2D;
}

/** Wall clock of an op over ≥ ~0.2 s (Dawn resolves onSubmittedWorkDone when it polls), TFLOP/s. */
async function wall(run: () => tf.Tensor, flop: number): Promise<number> {
  const reps = Math.max(3, Math.min(50, Math.round(1e13 / flop)));
  tf.dispose([run(), run()]);
  await drainGpu();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run().dispose();
  await drainGpu();
  return flop / ((performance.now() - t0) / reps / 1000) / 1e12;
}

type SmKernel = { name: string; tiling?: Nf4SubgroupMatrixTiling };

export async function productTimings(p: Product, w: HostNf4, sm: SmKernel[]): Promise<string> {
  const { k, n } = dims(p),
    m = p.m,
    flop = 2 * m * n * k;
  const b = webgpuBackend();
  const a = gpuRandom(m, k, 9);
  const fa = F16Matrix.fromTensor(a);
  const cells: string[] = [];
  const shape = { m, n, k, transB: p.forward, blocksize: w.matrix.blocksize };
  const nf4Bufs = [fa.bits, w.matrix.codes, w.matrix.absmax].map((t) => gpuBufferOf(b, t));
  for (const kern of sm) {
    const { code, dispatch } = nf4GemmKernel(shape, 'subgroup-matrix', kern.tiling);
    const [t, why] = await withGpuErrors(() => timeDispatch(code, nf4Bufs, m * n * 4, dispatch, flop));
    cells.push(`${kern.name} ${t?.median.toFixed(1)}${why}`);
  }
  const wd = dequantizeNf4OnGpu(w.matrix);
  const fw = F16Matrix.fromTensor(wd);
  wd.dispose();
  if (sm.length) {
    const { code, dispatch } = gemmKernel({ m, n, k, transA: false, transB: p.forward }, 'subgroup-matrix');
    const bufs = [fa.bits, fw.bits].map((t) => gpuBufferOf(b, t));
    const [t, why] = await withGpuErrors(() => timeDispatch(code, bufs, m * n * 4, dispatch, flop));
    cells.push(`| f16 gemm sm 4x4 (W already f16) ${t?.median.toFixed(1)}${why}`);
  }
  fw.dispose();
  fa.dispose();
  const [op, whyOp] = await withGpuErrors(() => wall(() => nf4Gemm(a, w.matrix, { transB: p.forward }), flop));
  const viaF16 = () => {
    const d = dequantizeNf4OnGpu(w.matrix);
    const f = F16Matrix.fromTensor(d);
    d.dispose();
    const c = gemm(a, f, { transB: p.forward });
    f.dispose();
    return c;
  };
  const [deq, whyDeq] = await withGpuErrors(() => wall(viaF16, flop));
  const rnd = prng(m + n);
  const rows = Array.from({ length: 8 }, () => Math.floor(rnd() * m));
  const cols = Array.from({ length: 8 }, () => Math.floor(rnd() * n));
  const [r, whyR] = await withGpuErrors(async () => {
    const c = nf4Gemm(a, w.matrix, { transB: p.forward });
    const ratio = await sampledRatio(c, a, w, p, rows, cols);
    c.dispose();
    return ratio;
  });
  a.dispose();
  const verdict = r !== undefined && r <= 1 && !whyR ? 'PASS' : 'FAIL';
  return (
    `${label(p)}: kernel alone TFLOP/s (median of 3) ${cells.join(', ')}; ` +
    `nf4Gemm() op, f32 x packed per call, wall ${op?.toFixed(1)}${whyOp}; ` +
    `dequantize+gemm() ${deq?.toFixed(1)}${whyDeq}; ` +
    `op vs CPU on 64 sampled entries: error/bound ${r?.toFixed(3)} ${verdict}${whyR}`
  );
}
