/**
 * NF4 dequantizing GEMM on WebGPU (packages/models/src/gpu/nf4-*, kvc issue #13) on the GPU machine.
 * Usage: nf4-gemm-bench PHASES [SHAPES] [TILINGS]
 * - PHASES (comma list, default warm,tile,check,shapes):
 *   warm: 5 s of tensor-core work; tile: one 16×16×64 tile per kernel vs the CPU; check: awkward
 *   shapes, both products, every kernel vs the CPU (error in units of the derived f16 bound);
 *   shapes: M = 4·5376 tokens at Qwen3-8B's linear layers and 4096³: kernel-alone TFLOP/s of each
 *   NF4 tiling next to the f16 GEMM (sm 4x4) on the same shape, the nf4Gemm() op (f32 activations
 *   packed per call) and "dequantize W, then gemm()" wall clock, and the op's error on 64 sampled
 *   entries vs the CPU.
 * - SHAPES: comma list of 4096,q,kv,gateup,down (default all), or tiny; TILINGS: e.g. 4x4/32,8x2/32,4x4/32p
 *   (p: private lookup table). nf4-gemm-baseline.py times torch at the same shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { nf4GemmVariant } from '../../packages/models/src/gpu/index.js';
import type { GemmVariant, Nf4SubgroupMatrixTiling } from '../../packages/models/src/gpu/index.js';
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';
import { referenceG4x4, timeKernel } from './gemm-kernel-timing.js';
import { randomNf4 } from '../../packages/models/src/gpu/nf4-host.js';
import { checkProduct, productTimings, type Product } from './nf4-gemm-products.js';

const phases = (process.argv[2] ?? 'warm,tile,check,shapes').split(',');
const shapeNames = (process.argv[3] ?? '4096,q,kv,gateup,down').split(',');
const tilings: Nf4SubgroupMatrixTiling[] = (process.argv[4] ?? '4x4/32,4x4/64,8x2/32,4x4/32p').split(',').map((s) => {
  const [, tm, tn, bk, p] = /^(\d)x(\d)\/(\d+)(p?)$/.exec(s) ?? [];
  return { tm: Number(tm), tn: Number(tn), bk: Number(bk), lut: p ? 'private' : 'workgroup' };
});
const t0 = performance.now();
await initBackend('webgpu');
const device = webgpuBackend().device;
const hasSM = device.features.has('chromium-experimental-subgroup-matrix');
console.log(`features ${[...device.features].sort().join(' ')}; NF4 self-test chose ${nf4GemmVariant()}`);
const kernels: { name: string; variant: GemmVariant; tiling?: Nf4SubgroupMatrixTiling }[] = [
  ...(hasSM ? tilings.map((t) => ({ name: tilingName(t), variant: 'subgroup-matrix' as const, tiling: t })) : []),
  { name: 'portable', variant: 'portable' },
];
function tilingName(t: Nf4SubgroupMatrixTiling): string {
  return `sm ${t.tm}x${t.tn}/${t.bk}${t.lut === 'private' ? 'p' : ''}`;
}

if (phases.includes('warm') && hasSM) {
  const w0 = performance.now();
  const a = tf.randomUniform([4096, 4096]) as tf.Tensor2D;
  while (performance.now() - w0 < 5000) await timeKernel(a, a, 4096, 4096, 4096, referenceG4x4(4096), [64, 64]);
  a.dispose();
}

const products = (m: number, out: number, inp: number): Product[] => [
  { m, out, inp, forward: true },
  { m, out, inp, forward: false },
];
for (const phase of ['tile', 'check'].filter((p) => phases.includes(p))) {
  const shapes: [number, number, number][] =
    phase === 'tile'
      ? [[16, 16, 64]]
      : [
          [1, 64, 64],
          [17, 33, 192],
          [17, 33, 70],
          [3, 40, 4096],
          [130, 70, 129],
          [64, 300, 4096],
        ];
  for (const kern of kernels) {
    for (const [m, out, inp] of shapes) {
      for (const p of products(m, out, inp)) {
        if (phase === 'tile' && !p.forward) continue;
        console.log(`${phase} ${kern.name} ${await checkProduct(p, kern.variant, kern.tiling)}`);
      }
    }
  }
}

if (phases.includes('shapes')) {
  const M = 4 * 5376;
  // Qwen3-8B: hidden 4096, intermediate 12288, q 32×128, kv 8×128. [name, M, out, in] of W [out, in]
  const table: Record<string, [string, number, number, number][]> = {
    4096: [['4096^3', 4096, 4096, 4096]],
    q: [['q/o_proj', M, 4096, 4096]],
    kv: [['k/v_proj', M, 1024, 4096]],
    gateup: [['gate/up_proj', M, 12288, 4096]],
    down: [['down_proj', M, 4096, 12288]],
    tiny: [['tiny (a smoke test on lavapipe)', 200, 96, 136]],
  };
  for (const [name, m, out, inp] of shapeNames.flatMap((s) => table[s] ?? [])) {
    const w = randomNf4(out, inp, out + inp);
    for (const p of products(m, out, inp)) {
      if ((performance.now() - t0) / 1000 > 105) {
        console.log(`shapes ${name}: skipped (the request's 120 s budget)`);
        continue;
      }
      const sm = kernels.filter((k) => k.variant === 'subgroup-matrix');
      console.log(`shapes ${name} ${await productTimings(p, w, sm)}`);
    }
    w.matrix.dispose();
  }
}
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(0);
