/**
 * Timing WGSL GEMM kernels alone, outside tfjs (for gemm-bench.ts): buffers and bind group made
 * once, 20 dispatches in one command encoder, GPU timestamps around the batch, 4 rounds (the first
 * warms up), after rampClocks (ramp-clocks.ts). Also the two comparison kernels: shared/gpu/f16gemm.mjs's g4x4 and the ceiling
 * experiment "MMA only" (operand tiles loaded once, the loop only multiplies).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { F16Matrix } from '../../packages/models/src/gpu/index.js';
import { rampClocks } from './ramp-clocks.js';
import {
  gpuBufferOf,
  pipelineFor,
  webgpuBackend,
  type Dispatch,
} from '../../packages/models/src/gpu/webgpu-internals.js';

export interface KernelTiming {
  /** TFLOP/s of rounds 1–3. */
  readonly all: number[];
  readonly median: number;
}

const REPS = 20;

/** Times `code` on f16 copies of a and b (stored as the kernel expects) writing an m×n f32 result. */
export async function timeKernel(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  m: number,
  n: number,
  k: number,
  code: string,
  dispatch: Dispatch,
): Promise<KernelTiming> {
  const device = webgpuBackend().device;
  const fa = F16Matrix.fromTensor(a),
    fb = F16Matrix.fromTensor(b);
  const c = device.createBuffer({ size: m * n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const pipe = pipelineFor(device, code);
  const buffers = [gpuBufferOf(webgpuBackend(), fa.bits), gpuBufferOf(webgpuBackend(), fb.bits), c];
  const bg = device.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const qb = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const rb = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  await rampClocks(device, pipe, bg, dispatch, REPS);
  const all: number[] = [];
  for (let round = 0; round < 4; round++) {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < REPS; i++) {
      const ts = i === 0 ? { beginningOfPassWriteIndex: 0 } : i === REPS - 1 ? { endOfPassWriteIndex: 1 } : undefined;
      const pass = enc.beginComputePass(ts ? { timestampWrites: { querySet: qs, ...ts } } : {});
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(dispatch[0], dispatch[1], dispatch[2] ?? 1);
      pass.end();
    }
    enc.resolveQuerySet(qs, 0, 2, qb, 0);
    enc.copyBufferToBuffer(qb, 0, rb, 0, 16);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(rb.getMappedRange().slice(0));
    rb.unmap();
    if (round > 0) all.push((2 * m * n * k) / (Number(t[1]! - t[0]!) / 1e6 / REPS) / 1e9);
  }
  fa.dispose();
  fb.dispose();
  c.destroy();
  qs.destroy();
  qb.destroy();
  rb.destroy();
  return { all, median: [...all].sort((x, y) => x - y)[1]! };
}

const HEAD = `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> A: array<f16>;
@group(0) @binding(1) var<storage, read> B: array<f16>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;`;

/** tm×tn accumulators; `loadInLoop` false loads the operand tiles once (the ceiling experiment). */
function registerTileKernel(S: number, tm: number, tn: number, loadInLoop: boolean): string {
  const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n  ');
  const acc = (f: (i: number, j: number) => string) => lines(tm, (i) => lines(tn, (j) => f(i, j)));
  const kOff = loadInLoop ? ' + k' : '',
    kRow = loadInLoop ? 'k * ' + S + 'u + ' : '';
  const loads =
    lines(tm, (i) => `let a${i} = subgroupMatrixLoad<L>(&A, (row + ${i * 16}u) * ${S}u${kOff}, false, ${S}u);`) +
    '\n  ' +
    lines(tn, (j) => `let b${j} = subgroupMatrixLoad<R>(&B, ${kRow}col + ${j * 16}u, false, ${S}u);`);
  const mma = acc((i, j) => `c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});`);
  return `${HEAD}
@compute @workgroup_size(32) fn main(@builtin(workgroup_id) wg: vec3u) {
  let row = wg.y * ${16 * tm}u; let col = wg.x * ${16 * tn}u;
  ${acc((i, j) => `var c${i}_${j} = Acc();`)}
  ${loadInLoop ? '' : loads}
  for (var k = 0u; k < ${S}u; k += 16u) {
  ${loadInLoop ? loads : ''}
  ${mma}
  }
  ${acc((i, j) => `subgroupMatrixStore(&C, (row + ${i * 16}u) * ${S}u + col + ${j * 16}u, c${i}_${j}, false, ${S}u);`)}
}`;
}

/** shared/gpu/f16gemm.mjs's g4x4 (S³, row-major A and B, one subgroup with 4×4 tiles). */
export const referenceG4x4 = (S: number): string => registerTileKernel(S, 4, 4, true);
/** The ceiling experiment: only MMAs in the loop. */
export const mmaOnly = (S: number, tm: number, tn: number): string => registerTileKernel(S, tm, tn, false);

/**
 * The layout experiment (phase `tiles`): A and B as if stored tile-major (each 16×16 tile's 256
 * halves contiguous; A's tiles row by row, B's as [N/16][K/16], i.e. transposed, as the frozen
 * weights are), tm×tn accumulators per subgroup. With `constantOffsets` the operands are bound as
 * arrays of tiles and each load picks a tile by index at offset 0, which Dawn's robustness pass
 * only clamps; without, the same addresses as computed offsets into flat arrays, which it wraps in
 * a bounds test (see packages/models/src/gpu/flash-attention-forward-sm-direct-wgsl.ts). The
 * GEMMs' own operands are tile-major since session 7 (gemm-layout.ts); this kernel is not checked
 * against anything: only the time means something.
 */
export function tileMajor(S: number, tm: number, tn: number, constantOffsets: boolean): string {
  const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n    ');
  const kT = S / 16;
  const tile = (src: string, idx: string, major: boolean, t: string) =>
    constantOffsets
      ? `subgroupMatrixLoad<${t}>(&${src}[${idx}], 0u, ${major}, 16u)`
      : `subgroupMatrixLoad<${t}>(&${src}, (${idx}) * 256u, ${major}, 16u)`;
  const operand = constantOffsets ? 'array<array<f16, 256>>' : 'array<f16>';
  const acc = (f: (i: number, j: number) => string) => lines(tm, (i) => lines(tn, (j) => f(i, j)));
  return `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> A: ${operand};
@group(0) @binding(1) var<storage, read> B: ${operand};
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;
@compute @workgroup_size(32) fn main(@builtin(workgroup_id) wg: vec3u) {
  let rt = wg.y * ${tm}u; let ct = wg.x * ${tn}u;
  ${acc((i, j) => `var c${i}_${j} = Acc();`)}
  for (var kt = 0u; kt < ${kT}u; kt++) {
    ${lines(tm, (i) => `let a${i} = ${tile('A', `(rt + ${i}u) * ${kT}u + kt`, false, 'L')};`)}
    ${lines(tn, (j) => `let b${j} = ${tile('B', `(ct + ${j}u) * ${kT}u + kt`, true, 'R')};`)}
    ${acc((i, j) => `c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});`)}
  }
  ${acc((i, j) => `subgroupMatrixStore(&C, (rt + ${i}u) * ${16 * S}u + (ct + ${j}u) * 16u, c${i}_${j}, false, ${S}u);`)}
}`;
}
