/**
 * f16 GEMM on WebGPU (packages/models/src/gpu): correctness of every kernel shape on awkward
 * sizes first (small, so a wrong offset fails fast), then TFLOP/s at 4096³ for each
 * subgroup-matrix tiling and the portable kernel, then the linear layer's three products at the
 * Qwen3-0.6B shapes (M = 4·5376 tokens). gemm-baseline.py measures torch.matmul fp16 in the same
 * device call. Usage (GPU machine): bash bench/gpu/run-on-gpu.sh gemm-bench [phases], phases a
 * comma list of check,sweep,linear (default all).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { F16Matrix, gemm, gemmVariant, type GemmVariant, type SubgroupMatrixTiling } from '../../packages/models/src/gpu/index.js';
import { gemmErrorRatio } from '../../packages/models/src/gpu/gemm-check.js';
import { gemmKernel } from '../../packages/models/src/gpu/gemm.js';
import { gpuBufferOf, pipelineFor, webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';

const phases = (process.argv[2] ?? 'check,sweep,linear').split(',');
const sweepSize = Number(process.argv[3] ?? 4096);
await initBackend('webgpu');
const device = webgpuBackend().device;
let gpuError: string | undefined;
device.addEventListener('uncapturederror', (e) => (gpuError ??= (e as GPUUncapturedErrorEvent).error.message));
console.log(`features ${[...device.features].sort().join(' ')}; self-test chose ${gemmVariant()}`);

type Kernel = { name: string; variant: GemmVariant; tiling?: SubgroupMatrixTiling };
const t = (tm: number, tn: number, staged = false): Kernel =>
  ({ name: `sm ${tm}x${tn}${staged ? ' staged' : ''}`, variant: 'subgroup-matrix', tiling: { tm, tn, staged } });
const SM: Kernel[] = [t(4, 4), t(2, 4), t(4, 2), t(2, 8), t(8, 2), t(4, 8), t(8, 4), t(4, 4, true), t(2, 8, true), t(4, 8, true)];
const hasSM = device.features.has('chromium-experimental-subgroup-matrix');
const KERNELS: Kernel[] = [...(hasSM ? SM : []), { name: 'portable', variant: 'portable' }];
const LAYOUTS = [[false, false], [false, true], [true, false]] as const; // dx = dy·W, y = x·Wᵀ, dW = dyᵀ·x
const bad = new Set<string>();

const rand = (shape: [number, number], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor2D;
const operands = (m: number, n: number, k: number, transA: boolean, transB: boolean) =>
  [rand(transA ? [k, m] : [m, k], 1), rand(transB ? [n, k] : [k, n], 2)] as const;

if (phases.includes('warm') && hasSM) {
  // Seconds of tensor-core work first: the first kernels after start-up ran up to 4× slower.
  const t0 = performance.now();
  while (performance.now() - t0 < 5000) await raw(4096, 4096, 4096, false, false, 'warm-up', readmeG4x4(4096), [64, 64], true);
}

if (phases.includes('check')) {
  for (const kern of KERNELS) {
    for (const [m, n, k] of [[37, 53, 70], [130, 200, 259]] as const) {
      for (const [transA, transB] of LAYOUTS) {
        const [a, b] = operands(m, n, k, transA, transB);
        const c = gemm(a, b, { transA, transB, variant: kern.variant, tiling: kern.tiling });
        const r = await gemmErrorRatio(c, a, b, transA, transB);
        tf.dispose([a, b, c]);
        if (!(r <= 1) || gpuError) bad.add(kern.name);
        console.log(`check ${kern.name} ${m}x${n}x${k} tA=${+transA} tB=${+transB}: error/bound ${r.toFixed(3)}${gpuError ? ` GPU ERROR ${gpuError}` : ''}`);
        gpuError = undefined;
      }
    }
  }
}

/** ms per product with both operands already f16 (the kernel alone), or with f32 activations packed per call. */
async function time(m: number, n: number, k: number, transA: boolean, transB: boolean, kern: Kernel, packA = false) {
  const [a, b] = operands(m, n, k, transA, transB);
  const fa = F16Matrix.fromTensor(a), fb = F16Matrix.fromTensor(b);
  const run = () => gemm(packA ? a : fa, fb, { transA, transB, variant: kern.variant, tiling: kern.tiling });
  // ≥ 0.2 s of work: Dawn resolves onSubmittedWorkDone only when it polls, which adds ms to a wall clock.
  const reps = Math.max(3, Math.min(400, Math.round(3e13 / (2 * m * n * k))));
  tf.dispose([run(), run()]);
  await device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run().dispose();
  const cpu = (performance.now() - t0) / reps;
  await device.queue.onSubmittedWorkDone();
  const ms = (performance.now() - t0) / reps;
  tf.dispose([a, b]); fa.dispose(); fb.dispose();
  return { ms, cpu, tflops: (2 * m * n * k) / ms / 1e9 };
}

if (phases.includes('sweep')) {
  // Through gemm() (tfjs tensors, one submit per call), wall clock: what a model would see.
  const S = sweepSize;
  for (const kern of KERNELS.filter((k) => ['sm 4x4', 'portable'].includes(k.name))) {
    for (const [transA, transB] of LAYOUTS) {
      for (const packA of [false, true]) {
        const { ms, cpu, tflops } = await time(S, S, S, transA, transB, kern, packA);
        console.log(`gemm() ${kern.name} ${S}^3 tA=${+transA} tB=${+transB}${packA ? ' f32 A packed per call' : ''}: ${ms.toFixed(2)} ms (CPU ${cpu.toFixed(2)} ms/call) ${tflops.toFixed(1)} TFLOP/s`);
      }
    }
  }
}

/**
 * The kernels alone, outside tfjs: buffers and bind group made once, `reps` dispatches in one
 * command encoder, timed by GPU timestamps around the whole batch. Separates kernel speed from
 * per-call costs, and runs shared/gpu/f16gemm.mjs's g4x4 kernel beside ours on the same buffers.
 */
async function raw(m: number, n: number, k: number, transA: boolean, transB: boolean, name: string, code: string,
  dispatch: [number, number], quiet = false): Promise<number> {
  const [a, b] = operands(m, n, k, transA, transB);
  const fa = F16Matrix.fromTensor(a), fb = F16Matrix.fromTensor(b);
  const be = webgpuBackend();
  const c = device.createBuffer({ size: m * n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const pipe = pipelineFor(device, code);
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0),
    entries: [gpuBufferOf(be, fa.bits), gpuBufferOf(be, fb.bits), c].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const qb = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const rb = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const reps = 20;
  const all: number[] = [];
  for (let round = 0; round < 4; round++) {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) {
      const ts = i === 0 ? { beginningOfPassWriteIndex: 0 } : i === reps - 1 ? { endOfPassWriteIndex: 1 } : undefined;
      const pass = enc.beginComputePass(ts ? { timestampWrites: { querySet: qs, ...ts } } : {});
      pass.setPipeline(pipe); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(...dispatch); pass.end();
    }
    enc.resolveQuerySet(qs, 0, 2, qb, 0); enc.copyBufferToBuffer(qb, 0, rb, 0, 16);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(rb.getMappedRange().slice(0)); rb.unmap();
    if (round > 0) all.push((2 * m * n * k) / (Number(t[1]! - t[0]!) / 1e6 / reps) / 1e9); // round 0 warms up
  }
  const tflops = [...all].sort((x, y) => x - y)[1]!; // the median of 3
  if (!quiet) console.log(`raw ${name} ${m}x${n}x${k} tA=${+transA} tB=${+transB}: ${all.map((x) => x.toFixed(1)).join(' ')} TFLOP/s${gpuError ? ` GPU ERROR ${gpuError}` : ''}`);
  tf.dispose([a, b]); fa.dispose(); fb.dispose(); c.destroy(); qs.destroy(); qb.destroy(); rb.destroy();
  return tflops;
}

/** The ceiling experiment: tm×tn accumulators, operands loaded once, K/16 steps of MMAs only. */
function mmaOnly(S: number, tm: number, tn: number): string {
  let decl = '', mma = '', store = '', loads = '';
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) { decl += `var c${i}_${j} = Acc(); `; store += `subgroupMatrixStore(&C, (row + ${i * 16}u) * ${S}u + col + ${j * 16}u, c${i}_${j}, false, ${S}u); `; mma += `c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j}); `; }
  for (let i = 0; i < tm; i++) loads += `let a${i} = subgroupMatrixLoad<L>(&A, (row + ${i * 16}u) * ${S}u, false, ${S}u); `;
  for (let j = 0; j < tn; j++) loads += `let b${j} = subgroupMatrixLoad<R>(&B, col + ${j * 16}u, false, ${S}u); `;
  return readmeG4x4(S).replace(/@compute[\s\S]*$/, `@compute @workgroup_size(32) fn main(@builtin(workgroup_id) wg: vec3u) {
  let row = wg.y * ${16 * tm}u; let col = wg.x * ${16 * tn}u; ${decl} ${loads}
  for (var k = 0u; k < ${S}u; k += 16u) { ${mma} }
  ${store}
}`);
}

/** shared/gpu/f16gemm.mjs's g4x4 kernel (row-major A and B), verbatim but for the sizes. */
function readmeG4x4(S: number): string {
  let decl = '', mma = '', store = '', loads = '';
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) { decl += `var c${i}_${j} = Acc(); `; store += `subgroupMatrixStore(&C, (row + ${i * 16}u) * N + col + ${j * 16}u, c${i}_${j}, false, N); `; mma += `c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j}); `; }
  for (let i = 0; i < 4; i++) loads += `let a${i} = subgroupMatrixLoad<L>(&A, (row + ${i * 16}u) * K + k, false, K); let b${i} = subgroupMatrixLoad<R>(&B, k * N + col + ${i * 16}u, false, N); `;
  return `enable f16;\nenable chromium_experimental_subgroup_matrix;\nconst N: u32 = ${S}u; const K: u32 = ${S}u;
@group(0) @binding(0) var<storage, read> A: array<f16>;
@group(0) @binding(1) var<storage, read> B: array<f16>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
alias L = subgroup_matrix_left<f16, 16, 16>; alias R = subgroup_matrix_right<f16, 16, 16>; alias Acc = subgroup_matrix_result<f32, 16, 16>;
@compute @workgroup_size(32) fn main(@builtin(workgroup_id) wg: vec3u) {
  let row = wg.y * 64u; let col = wg.x * 64u; ${decl}
  for (var k = 0u; k < K; k += 16u) { ${loads} ${mma} }
  ${store}
}`;
}

if (phases.includes('raw') && hasSM) {
  // Each line: 3 timings on one set of operands; each kernel twice, on fresh operands.
  const S = sweepSize;
  for (let rep = 0; rep < 2; rep++) await raw(S, S, S, false, false, 'README g4x4', readmeG4x4(S), [S / 64, S / 64]);
  for (const kern of KERNELS.filter((x) => !x.tiling || (!x.tiling.staged || x.tiling.tm === 4) && x.tiling.tm * x.tiling.tn <= 16)) {
    for (const [transA, transB] of LAYOUTS) {
      const { code, dispatch } = gemmKernel({ m: S, n: S, k: S, transA, transB }, kern.variant, kern.tiling);
      for (let rep = 0; rep < 2; rep++) await raw(S, S, S, transA, transB, kern.name, code, dispatch);
    }
  }
  for (const [tm, tn] of [[2, 4], [4, 4], [2, 8], [4, 8]] as const) {
    await raw(S, S, S, false, false, `MMA only (no loads in the loop) ${tm}x${tn}`, mmaOnly(S, tm, tn), [S / (16 * tn), S / (16 * tm)]);
  }
}

if (phases.includes('ceiling') && hasSM) {
  const S = sweepSize;
  for (const [tm, tn] of [[1, 4], [2, 2], [2, 4], [4, 2], [4, 4], [2, 8]] as const) {
    await raw(S, S, S, false, false, `MMA only (no loads in the loop) ${tm}x${tn}`, mmaOnly(S, tm, tn), [S / (16 * tn), S / (16 * tm)]);
  }
}

if (phases.includes('linear')) {
  const M = 4 * 5376;
  // [name, in, out] of Qwen3-0.6B's linear layers (hidden 1024, q 16×128, kv 8×128, intermediate 3072)
  const layers = [['q_proj', 1024, 2048], ['k/v_proj', 1024, 1024], ['o_proj', 2048, 1024], ['gate/up_proj', 1024, 3072], ['down_proj', 3072, 1024]] as const;
  const tilings = KERNELS.filter((k) => ['sm 4x4', 'sm 2x8', 'portable'].includes(k.name) && !bad.has(k.name));
  for (const [name, din, dout] of layers) {
    // y = x·Wᵀ: (M,dout,din) tB; dx = dy·W: (M,din,dout); dW = dyᵀ·x: (dout,din,M) tA
    const products = [['y=x·Wt', M, dout, din, false, true], ['dx=dy·W', M, din, dout, false, false], ['dW=dyt·x', dout, din, M, true, false]] as const;
    for (const [pname, m, n, k, transA, transB] of products) {
      const cells: string[] = [];
      for (const kern of tilings) {
        const { code, dispatch } = gemmKernel({ m, n, k, transA, transB }, kern.variant, kern.tiling);
        cells.push(`${kern.name} ${(await raw(m, n, k, transA, transB, kern.name, code, dispatch, true)).toFixed(1)}`);
      }
      const viaOp = await time(m, n, k, transA, transB, { name: 'default', variant: gemmVariant()! }, true);
      const viaOp2 = await time(m, n, k, transA, transB, { name: 'default', variant: gemmVariant()! }, true);
      console.log(`linear ${name} ${pname} ${m}x${n}x${k}: kernel TFLOP/s (median of 3) ${cells.join(', ')}; ` +
        `gemm() default, f32 A packed per call, wall clock, twice: ${viaOp.tflops.toFixed(1)} ${viaOp2.tflops.toFixed(1)}`);
    }
  }
}
process.exit(0);
