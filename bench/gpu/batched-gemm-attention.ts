/**
 * Attention's chunk products on the batched f16 GEMM (packages/models/src/gpu/batched-gemm.ts)
 * against tfjs-webgpu's f32 BatchMatMul, on the GPU machine. Phases (comma list, argv[2], default all):
 * - check: each product layout (scores q·kᵀ, P·v / dS·k, dSᵀ·q / Pᵀ·dO) on a smaller slice (batch 2,
 *   M 195, S 577, d 128), both GEMM variants the device has, against the cpu backend's f32 op: max
 *   |error| of tf.matMul and of the GEMM, and the GEMM's error in units of the derived f16 bound
 *   (f16-tolerance.ts), PASS ≤ 1;
 * - seed: the products of one query chunk at the seed step (Qwen3-0.6B, B4 × 5376 tokens, 16 heads,
 *   8 kv heads, d 128: 195 query rows per 256 MiB chunk, 2 query heads per kv head → [32, 390, ·]);
 * - clip: CLIP-L (B8, 16 heads, T 577, d 64: one chunk, [128, 577, ·]);
 * - attn: attention forward+backward at the seed shape (causal + padding bias), switch off vs on.
 * Timings: mean of 5 after a warm-up, waiting on the queue; the GEMM converts its f32 operands to
 * f16 in each call, as attention uses it. Ends with one VERDICT line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { batchedGemm } from '../../packages/models/src/gpu/batched-gemm.js';
import { gemmErrorRatio } from '../../packages/models/src/gpu/gemm-error-ratio.js';
import { gemmVariant } from '../../packages/models/src/gpu/gemm.js';
import type { GemmVariant } from '../../packages/models/src/gpu/gemm-variant.js';
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';
import { causalAttentionBias } from '../../packages/models/src/nn/attention-bias.js';
import { setAttentionGemmDefault } from '../../packages/models/src/nn/attention-matmul.js';
import { attention } from '../../packages/models/src/nn/attention.js';
import { timeOnGpu } from './time-on-gpu.js';

const phases = (process.argv[2] ?? 'check,seed,clip,attn').split(',');
await initBackend('webgpu');
const hasSM = webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix');
const VARIANTS: GemmVariant[] = hasSM ? ['subgroup-matrix', 'portable'] : ['portable'];
console.log(`self-test chose ${gemmVariant()}; subgroup matrices ${hasSM ? 'yes' : 'no'}`);
const verdict: string[] = [];
let pass = true;

/** A product: batch, M, N, K and the layout (A stored [K, M] when transA, B [N, K] when transB). */
interface Product {
  readonly name: string;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
}
const products = (batch: number, m: number, s: number, d: number): Product[] => [
  { name: 'scores q·kᵀ (and dP = dO·vᵀ)', batch, m, n: s, k: d, transA: false, transB: true },
  { name: 'P·v (and dQ = dS·k)', batch, m, n: d, k: s, transA: false, transB: false },
  { name: 'dK = dSᵀ·q (and dV = Pᵀ·dO)', batch, m: s, n: d, k: m, transA: true, transB: false },
];
const operands = (p: Product): tf.Tensor3D[] => {
  const a: [number, number, number] = p.transA ? [p.batch, p.k, p.m] : [p.batch, p.m, p.k];
  const b: [number, number, number] = p.transB ? [p.batch, p.n, p.k] : [p.batch, p.k, p.n];
  return [tf.randomUniform(a, -1, 1, 'float32', 1), tf.randomUniform(b, -1, 1, 'float32', 2)];
};
const datas = (xs: tf.Tensor[]) => Promise.all(xs.map((x) => x.data() as Promise<Float32Array>));

if (phases.includes('check')) {
  const got: { p: Product; arrays: Float32Array[]; shapes: number[][] }[] = [];
  for (const p of products(2, 195, 577, 128)) {
    const [a, b] = operands(p);
    const outs = [
      tf.matMul(a!, b!, p.transA, p.transB),
      ...VARIANTS.map((variant) => batchedGemm(a!, b!, { transA: p.transA, transB: p.transB, variant })),
    ];
    got.push({ p, arrays: await datas([a!, b!, ...outs]), shapes: [a!.shape, b!.shape] });
    tf.dispose([a!, b!, ...outs]);
  }
  await initBackend('cpu');
  for (const { p, arrays, shapes } of got) {
    const [a, b, ...outs] = arrays;
    const names = ['tf.matMul f32', ...VARIANTS.map((v) => `gemm ${v}`)];
    const stats = names.map(() => ({ ratio: 0, abs: 0 }));
    for (let i = 0; i < p.batch; i++) {
      const slice = (x: Float32Array, r: number, c: number) =>
        tf.tensor2d(x.subarray(i * r * c, (i + 1) * r * c), [r, c]);
      const ai = slice(a!, shapes[0]![1]!, shapes[0]![2]!),
        bi = slice(b!, shapes[1]![1]!, shapes[1]![2]!);
      const ref = tf.matMul(ai, bi, p.transA, p.transB);
      const refData = await ref.data();
      for (const [j, out] of outs.entries()) {
        const ci = slice(out, p.m, p.n);
        stats[j]!.ratio = Math.max(stats[j]!.ratio, await gemmErrorRatio(ci, ai, bi, p.transA, p.transB));
        const cd = ci.dataSync();
        for (let e = 0; e < cd.length; e++) stats[j]!.abs = Math.max(stats[j]!.abs, Math.abs(cd[e]! - refData[e]!));
        ci.dispose();
      }
      tf.dispose([ai, bi, ref]);
    }
    for (const [j, name] of names.entries()) {
      const ok = stats[j]!.ratio <= 1;
      if (!ok) pass = false;
      console.log(
        `check ${p.name} [${p.batch}, ${p.m}×${p.n}×${p.k}] ${name}: max |err| ${stats[j]!.abs.toExponential(2)}, ` +
          `error/f16 bound ${stats[j]!.ratio.toFixed(3)} ${ok ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  verdict.push(`check ${pass ? 'PASS' : 'FAIL'}`);
  await initBackend('webgpu');
}

/** Mean ms of 5 calls after one warm-up, the queue drained before and after. */
const time = (f: () => tf.Tensor | tf.Tensor[], reps = 5): Promise<number> => timeOnGpu(f, reps);

async function timeProducts(label: string, ps: Product[]) {
  const speedups: number[] = [];
  for (const p of ps) {
    const [a, b] = operands(p);
    const flop = 2 * p.batch * p.m * p.n * p.k;
    const tfMs = await time(() => tf.matMul(a!, b!, p.transA, p.transB));
    const line = [`${label} ${p.name} [${p.batch}, ${p.m}×${p.n}×${p.k}]: tf.matMul ${tfMs.toFixed(2)} ms`];
    line.push(`(${(flop / tfMs / 1e9).toFixed(1)} TFLOP/s)`);
    for (const variant of VARIANTS) {
      const ms = await time(() => batchedGemm(a!, b!, { transA: p.transA, transB: p.transB, variant }));
      const rate = (flop / ms / 1e9).toFixed(1);
      line.push(`| gemm ${variant} ${ms.toFixed(2)} ms (${rate} TFLOP/s, ×${(tfMs / ms).toFixed(2)})`);
      if (variant === gemmVariant()) speedups.push(tfMs / ms);
    }
    console.log(line.join(' '));
    tf.dispose([a!, b!]);
  }
  verdict.push(`${label} products ×${speedups.map((x) => x.toFixed(2)).join('/')} (${gemmVariant()})`);
}

if (phases.includes('seed')) await timeProducts('seed', products(32, 390, 5376, 128));
if (phases.includes('clip')) await timeProducts('clip', products(128, 577, 577, 64));

if (phases.includes('attn')) {
  const [b, nh, nkv, t, d] = [4, 16, 8, 5376, 128];
  const q = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 1) as tf.Tensor4D;
  const k = tf.randomNormal([b, nkv, t, d], 0, 1, 'float32', 2) as tf.Tensor4D;
  const v = tf.randomNormal([b, nkv, t, d], 0, 1, 'float32', 3) as tf.Tensor4D;
  const dy = tf.randomNormal([b, nh, t, d], 0, 1, 'float32', 4) as tf.Tensor4D;
  // Odd batch rows have 64 left pads.
  const pads = (i: number) => 64 * (Math.floor(i / t) % 2);
  const mask = tf.tensor2d(
    Array.from({ length: b * t }, (_, i) => (i % t < pads(i) ? 0 : 1)),
    [b, t],
  );
  const bias = causalAttentionBias(mask, t);
  mask.dispose();
  const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
    tf.sum(tf.mul(attention(x as tf.Tensor4D, y as tf.Tensor4D, z as tf.Tensor4D, { bias, fused: false }), dy)),
  );
  const ms: number[] = [];
  for (const on of [false, true]) {
    setAttentionGemmDefault(on);
    ms.push(await time(() => grads([q, k, v]), 3));
    const what = `attn seed fwd+bwd (tfjs op, 256 MiB chunks), f16 GEMM ${on ? 'on' : 'off'}`;
    console.log(`${what}: ${ms.at(-1)!.toFixed(0)} ms`);
  }
  setAttentionGemmDefault(false);
  const [off, on] = ms as [number, number];
  verdict.push(`seed attention fwd+bwd ${off.toFixed(0)} → ${on.toFixed(0)} ms (×${(off / on).toFixed(2)})`);
  tf.dispose([q, k, v, dy, bias]);
}

console.log(`VERDICT batched f16 GEMM for attention: ${verdict.join('; ')}`);
process.exit(pass ? 0 : 1);
