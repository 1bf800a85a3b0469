/**
 * f16 GEMM on WebGPU (packages/models/src/gpu) on the GPU machine. Phases (comma list, argv[2]):
 * - warm: 5 s of tensor-core work (the first kernels after start-up ran up to 4× slower);
 * - check: every kernel shape on awkward sizes against tf.matMul f32, in units of the f16 bound;
 * - raw: each kernel alone at S³ (argv[3], default 4096), all three layouts, twice on fresh operands;
 * - ceiling: "MMA only" kernels (no loads in the loop) for several register tiles;
 * - tiles: the tile-major layout experiment (gemm-kernel-timing.ts tileMajor): constant offsets
 *   into arrays of tiles against the same loads as computed offsets, several register tiles;
 * - sweep: the gemm() op at S³, wall clock, operands f16 or f32 A converted per call;
 * - linear: the linear layer's three products at Qwen3-0.6B's shapes, M = 4·5376 tokens.
 * gemm-baseline.py measures torch.matmul fp16 in the same device call. Usage: see
 * bench/results/2026-11-27-gemm-h100.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { F16Matrix, gemm, gemmKernel, gemmVariant } from '../../packages/models/src/gpu/index.js';
import type { GemmVariant, SubgroupMatrixTiling } from '../../packages/models/src/gpu/index.js';
import { gemmErrorRatio } from '../../packages/models/src/gpu/gemm-error-ratio.js';
import { webgpuBackend, type Dispatch } from '../../packages/models/src/gpu/webgpu-internals.js';
import { mmaOnly, referenceG4x4, tileMajor, timeKernel } from './gemm-kernel-timing.js';
import { drainGpu } from './time-on-gpu.js';

const phases = (process.argv[2] ?? 'warm,check,raw,ceiling,sweep,linear').split(',');
const S = Number(process.argv[3] ?? 4096);
await initBackend('webgpu');
const device = webgpuBackend().device;
let gpuError: string | undefined;
device.addEventListener('uncapturederror', (e) => (gpuError ??= (e as GPUUncapturedErrorEvent).error.message));
const errorNote = () => (gpuError ? ` GPU ERROR ${gpuError}` : '');
console.log(`features ${[...device.features].sort().join(' ')}; self-test chose ${gemmVariant()}`);

type Kernel = { name: string; variant: GemmVariant; tiling?: SubgroupMatrixTiling };
const sm = (
  tm: number,
  tn: number,
  staged = false,
  sgm = 1,
  sgn = 1,
  copy: 'halves' | 'matrices' = 'halves',
  bk: 32 | 64 | 128 = 32,
  prefetch = false,
  buffers: 1 | 2 = 1,
  swizzle = 0,
): Kernel => ({
  name: `sm ${tm}x${tn}${staged ? (copy === 'matrices' ? ' staged by matrix copies' : ' staged') : ''}${prefetch ? ' prefetching' : ''}${sgm * sgn > 1 ? ` on ${sgm}x${sgn} subgroups` : ''}${bk !== 32 ? ` K slice ${bk}` : ''}${buffers === 2 ? ', 2 buffers' : ''}${swizzle ? `, blocks in groups of ${swizzle} rows` : ''}`,
  variant: 'subgroup-matrix',
  tiling: { tm, tn, staged, sgm, sgn, copy, bk, prefetch, buffers, ...(swizzle ? { swizzle } : {}) },
});
const hasSM = device.features.has('chromium-experimental-subgroup-matrix');
// KVC_BENCH_SM="4x4s2x2,…": only these tilings (register tile, s = staged by halves, m = staged by matrix
// copies or p = direct, prefetching the next K step, then subgroups, then k and the staged slice's K),
// e.g. 4x4s2x2, 2x2m4x4, 2x4m4x2k64, 4x4p2x1; a trailing b2 keeps two slices in workgroup memory (4x4m2x2b2),
// g8 walks the blocks in groups of 8 block rows (4x4pg8, 4x4m2x2g8).
const only = process.env.KVC_BENCH_SM?.split(',').map((x) => {
  const [, tm, tn, st, sgm, sgn, bk, b2, g] =
    /^(\d)x(\d)([smp]?)(?:(\d)x(\d))?(?:k(32|64|128))?(b2)?(?:g(\d+))?$/.exec(x) ?? [];
  if (!tm) throw new Error(`KVC_BENCH_SM: ${x} is not like 4x4s2x2, 2x2m4x4, 2x4m4x2k64 or 4x4p`);
  const copy = st === 'm' ? 'matrices' : 'halves';
  const staged = st === 's' || st === 'm';
  return sm(
    +tm,
    +tn!,
    staged,
    +(sgm ?? 1),
    +(sgn ?? 1),
    copy,
    +(bk ?? 32) as 32 | 64 | 128,
    st === 'p',
    b2 ? 2 : 1,
    Number(g ?? 0),
  );
});
const SM = only ?? [
  sm(4, 4),
  sm(2, 4),
  sm(4, 2),
  sm(2, 8),
  sm(8, 2),
  sm(4, 8),
  sm(8, 4),
  sm(4, 4, true),
  sm(2, 8, true),
  sm(4, 4, true, 2, 2),
  sm(2, 4, true, 2, 2),
  sm(4, 2, true, 2, 4),
  sm(2, 2, true, 4, 4),
];
const KERNELS: Kernel[] = [...(hasSM ? SM : []), { name: 'portable', variant: 'portable' }];
const LAYOUTS = [
  [false, false],
  [false, true],
  [true, false],
] as const; // dx = dy·W, y = x·Wᵀ, dW = dyᵀ·x
const bad = new Set<string>();
const layout = (transA: boolean, transB: boolean) => `tA=${+transA} tB=${+transB}`;

const rand = (shape: [number, number], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor2D;
const operands = (m: number, n: number, k: number, transA: boolean, transB: boolean) =>
  [rand(transA ? [k, m] : [m, k], 1), rand(transB ? [n, k] : [k, n], 2)] as const;

/** Kernel-alone TFLOP/s on fresh operands (see gemm-kernel-timing.ts). */
async function raw(
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  code: string,
  dispatch: Dispatch,
) {
  const [a, b] = operands(m, n, k, transA, transB);
  const t = await timeKernel(a, b, m, n, k, code, dispatch);
  tf.dispose([a, b]);
  return t;
}
const logRaw = (name: string, transA: boolean, transB: boolean, all: number[]) =>
  console.log(
    `raw ${name} ${S}x${S}x${S} ${layout(transA, transB)}: ${all.map((x) => x.toFixed(1)).join(' ')} TFLOP/s` +
      errorNote(),
  );

/** The gemm() op, wall clock over ≥ 0.2 s (Dawn resolves onSubmittedWorkDone when it polls). */
async function viaOp(m: number, n: number, k: number, transA: boolean, transB: boolean, kern: Kernel, packA = false) {
  const [a, b] = operands(m, n, k, transA, transB);
  const fa = F16Matrix.fromTensor(a),
    fb = F16Matrix.fromTensor(b);
  const run = () => gemm(packA ? a : fa, fb, { transA, transB, variant: kern.variant, tiling: kern.tiling });
  const reps = Math.max(3, Math.min(400, Math.round(3e13 / (2 * m * n * k))));
  tf.dispose([run(), run()]);
  await drainGpu();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run().dispose();
  const cpu = (performance.now() - t0) / reps;
  await drainGpu();
  const ms = (performance.now() - t0) / reps;
  tf.dispose([a, b]);
  fa.dispose();
  fb.dispose();
  return { ms, cpu, tflops: (2 * m * n * k) / ms / 1e9 };
}

if (phases.includes('warm') && hasSM) {
  const t0 = performance.now();
  while (performance.now() - t0 < 5000) await raw(4096, 4096, 4096, false, false, referenceG4x4(4096), [64, 64]);
}

if (phases.includes('check')) {
  for (const kern of KERNELS) {
    for (const [m, n, k] of [
      [37, 53, 70],
      [130, 200, 259],
    ] as const) {
      for (const [transA, transB] of LAYOUTS) {
        const [a, b] = operands(m, n, k, transA, transB);
        const c = gemm(a, b, { transA, transB, variant: kern.variant, tiling: kern.tiling });
        const r = await gemmErrorRatio(c, a, b, transA, transB);
        tf.dispose([a, b, c]);
        if (!(r <= 1) || gpuError) bad.add(kern.name);
        const where = `${kern.name} ${m}x${n}x${k} ${layout(transA, transB)}`;
        console.log(`check ${where}: error/bound ${r.toFixed(3)}${errorNote()}`);
        gpuError = undefined;
      }
    }
  }
}

if (phases.includes('raw')) {
  // Each line: 3 timings on one set of operands; each kernel twice, on fresh operands. Without subgroup
  // matrices (lavapipe in CI) only the portable kernel runs.
  for (let rep = 0; rep < 2 && hasSM; rep++)
    logRaw('README g4x4', false, false, (await raw(S, S, S, false, false, referenceG4x4(S), [S / 64, S / 64])).all);
  for (const kern of KERNELS.filter((x) => !bad.has(x.name))) {
    for (const [transA, transB] of LAYOUTS) {
      const { code, dispatch } = gemmKernel({ m: S, n: S, k: S, transA, transB }, kern.variant, kern.tiling);
      for (let rep = 0; rep < 2; rep++) {
        logRaw(kern.name, transA, transB, (await raw(S, S, S, transA, transB, code, dispatch)).all);
      }
    }
  }
}

/** Register tiles (16×16 accumulators a subgroup) the ceiling and tiles experiments try. */
const REGISTER_TILES = [
  [1, 4],
  [2, 2],
  [2, 4],
  [4, 2],
  [4, 4],
  [2, 8],
  [4, 8],
] as const;

if (phases.includes('ceiling') && hasSM) {
  for (const [tm, tn] of REGISTER_TILES) {
    const t = await raw(S, S, S, false, false, mmaOnly(S, tm, tn), [S / (16 * tn), S / (16 * tm)]);
    logRaw(`MMA only (no loads in the loop) ${tm}x${tn}`, false, false, t.all);
  }
}

if (phases.includes('tiles') && hasSM) {
  // Eight or more accumulators: the smaller tiles are load-bound either way.
  for (const [tm, tn] of REGISTER_TILES.filter(([m, n]) => m * n >= 8)) {
    for (const constant of [true, false]) {
      const t = await raw(S, S, S, false, true, tileMajor(S, tm, tn, constant), [S / (16 * tn), S / (16 * tm)]);
      logRaw(
        `tile-major ${tm}x${tn}, ${constant ? 'constant' : 'computed'} offsets (wrong values)`,
        false,
        true,
        t.all,
      );
    }
  }
}

if (phases.includes('sweep')) {
  for (const kern of KERNELS.filter((k) => ['sm 4x4', 'portable'].includes(k.name))) {
    for (const [transA, transB] of LAYOUTS) {
      for (const packA of [false, true]) {
        const { ms, cpu, tflops } = await viaOp(S, S, S, transA, transB, kern, packA);
        console.log(
          `gemm() ${kern.name} ${S}^3 ${layout(transA, transB)}${packA ? ' f32 A packed per call' : ''}: ` +
            `${ms.toFixed(2)} ms (CPU ${cpu.toFixed(2)} ms/call) ${tflops.toFixed(1)} TFLOP/s`,
        );
      }
    }
  }
}

if (phases.includes('linear')) {
  const M = 4 * 5376;
  // [name, in, out] of Qwen3-0.6B's linear layers (hidden 1024, q 16×128, kv 8×128, intermediate 3072), or with
  // KVC_BENCH_LINEAR=8b Qwen3-8B's (hidden 4096, q 32×128, kv 8×128, intermediate 12288)
  const layers =
    process.env.KVC_BENCH_LINEAR === '8b'
      ? ([
          ['q/o_proj', 4096, 4096],
          ['k/v_proj', 4096, 1024],
          ['gate/up_proj', 4096, 12288],
          ['down_proj', 12288, 4096],
        ] as const)
      : ([
          ['q_proj', 1024, 2048],
          ['k/v_proj', 1024, 1024],
          ['o_proj', 2048, 1024],
          ['gate/up_proj', 1024, 3072],
          ['down_proj', 3072, 1024],
        ] as const);
  const linear = ['sm 4x4', 'sm 2x8', 'sm 4x4 staged on 2x2 subgroups', 'sm 2x4 staged on 2x2 subgroups', 'portable'];
  const tilings = KERNELS.filter((k) => (only || linear.includes(k.name)) && !bad.has(k.name));
  const byDefault: Kernel = { name: 'default', variant: gemmVariant()! };
  for (const [name, din, dout] of layers) {
    // y = x·Wᵀ: (M,dout,din) tB; dx = dy·W: (M,din,dout); dW = dyᵀ·x: (dout,din,M) tA
    const products = [
      ['y=x·Wt', M, dout, din, false, true],
      ['dx=dy·W', M, din, dout, false, false],
      ['dW=dyt·x', dout, din, M, true, false],
    ] as const;
    for (const [pname, m, n, k, transA, transB] of products) {
      const cells: string[] = [];
      for (const kern of tilings) {
        const { code, dispatch } = gemmKernel({ m, n, k, transA, transB }, kern.variant, kern.tiling);
        cells.push(`${kern.name} ${(await raw(m, n, k, transA, transB, code, dispatch)).median.toFixed(1)}`);
      }
      const op = [];
      for (let i = 0; i < 2; i++) op.push(await viaOp(m, n, k, transA, transB, byDefault, true));
      console.log(
        `linear ${name} ${pname} ${m}x${n}x${k}: kernel TFLOP/s (median of 3) ${cells.join(', ')}; ` +
          `gemm() default, f32 A packed per call, wall clock, twice: ${op.map((o) => o.tflops.toFixed(1)).join(' ')}`,
      );
    }
  }
}
process.exit(0);
