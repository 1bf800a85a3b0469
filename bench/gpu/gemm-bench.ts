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
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';

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
  const reps = Math.max(3, Math.min(50, Math.round(2e12 / (2 * m * n * k))));
  tf.dispose([run(), run()]);
  await device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run().dispose();
  await device.queue.onSubmittedWorkDone();
  const ms = (performance.now() - t0) / reps;
  tf.dispose([a, b]); fa.dispose(); fb.dispose();
  return { ms, tflops: (2 * m * n * k) / ms / 1e9 };
}

if (phases.includes('sweep')) {
  const S = sweepSize;
  for (const kern of KERNELS) {
    if (bad.has(kern.name)) continue;
    for (const [transA, transB] of LAYOUTS) {
      const { ms, tflops } = await time(S, S, S, transA, transB, kern);
      console.log(`sweep ${kern.name} ${S}^3 tA=${+transA} tB=${+transB}: ${ms.toFixed(2)} ms ${tflops.toFixed(1)} TFLOP/s${gpuError ? ` GPU ERROR ${gpuError}` : ''}`);
    }
  }
}

if (phases.includes('linear')) {
  const M = 4 * 5376;
  // [name, in, out] of Qwen3-0.6B's linear layers (hidden 1024, q 16×128, kv 8×128, intermediate 3072)
  const layers = [['q_proj', 1024, 2048], ['k/v_proj', 1024, 1024], ['o_proj', 2048, 1024], ['gate/up_proj', 1024, 3072], ['down_proj', 3072, 1024]] as const;
  const best = SM.find((k) => !bad.has(k.name) && k.tiling!.tm === 4 && k.tiling!.tn === 4 && !k.tiling!.staged) ?? KERNELS.at(-1)!;
  for (const kern of [best, KERNELS.at(-1)!]) {
    for (const [name, din, dout] of layers) {
      // y = x·Wᵀ: (M,dout,din); dx = dy·W: (M,din,dout); dW = dyᵀ·x: (dout,din,M)
      const fwd = await time(M, dout, din, false, true, kern);
      const fwdPacked = await time(M, dout, din, false, true, kern, true);
      const dx = await time(M, din, dout, false, false, kern);
      const dw = await time(dout, din, M, true, false, kern);
      console.log(`linear ${kern.name} ${name} M=${M} in=${din} out=${dout}: y=x·Wt ${fwd.tflops.toFixed(1)} ` +
        `(with f32 x packed per call ${fwdPacked.tflops.toFixed(1)}), dx=dy·W ${dx.tflops.toFixed(1)}, dW=dyt·x ${dw.tflops.toFixed(1)} TFLOP/s`);
    }
  }
}
process.exit(0);
