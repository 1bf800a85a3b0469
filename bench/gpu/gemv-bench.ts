/**
 * The decoding step's linear layers alone: Qwen3-0.6B's seven products a layer (q 2048×1024, k and v 1024×1024,
 * o 1024×2048, gate and up 3072×1024, down 1024×3072) for 28 layers, each layer its own weights (840 MB of f16, so
 * nothing stays in the H200's 50 MB L2 between layers), 196 GEMV dispatches in one compute pass as a replayed step
 * runs them (time-dispatches.ts). Per batch and tiling (f16-gemv-wgsl.ts GemvTiling), with and without the LoRA
 * branch (r 16): ms a step and the weights' bytes over that time against the H200's 4.8 TB/s. Each tiling's
 * outputs are checked against the first's (the same sums in another order: relative differences ~1e-6).
 * Usage: gemv-bench.ts [batches, default 1,8,32]; KVC_GEMV_TILINGS="16x1,8x4,16x4r4" (features x loadBatch, then
 * r and the features an invocation owns),
 * KVC_GEMV_LAYERS (28), KVC_GEMV_ROUNDS (5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { F16Matrix } from '../../packages/models/src/gpu/index.js';
import { gemvDispatch, gemvRowBucket, gemvWgsl } from '../../packages/models/src/gpu/f16-gemv-wgsl.js';
import type { GemvShape, GemvTiling } from '../../packages/models/src/gpu/f16-gemv-wgsl.js';
import {
  gpuBufferOf,
  pipelineFor,
  submitPending,
  webgpuBackend,
} from '../../packages/models/src/gpu/webgpu-internals.js';
import { uniformMatrix } from '../../packages/models/src/testing/uniform-matrix.js';
import { maxRelDiff } from './max-rel-diff.js';
import { readGpuBuffer } from './read-gpu-buffer.js';
import { timeDispatches, type Dispatch } from './time-dispatches.js';

const batches = (process.argv[2] ?? '1,8,32').split(',').map(Number);
const tilings: GemvTiling[] = (process.env.KVC_GEMV_TILINGS ?? '16x1,8x1,16x8,8x4,16x4r4,16x4r2')
  .split(',')
  .map((t) => {
    const [, f, l, r] = /^(\d+)x(\d+)(?:r(\d))?$/.exec(t) ?? [];
    if (f !== '8' && f !== '16') throw new Error(`KVC_GEMV_TILINGS: ${t} is not like 16x4r2 (features 8 or 16)`);
    const rows = Number(r ?? 1);
    if (rows !== 1 && rows !== 2 && rows !== 4) throw new Error(`KVC_GEMV_TILINGS: ${t}: rows must be 1, 2 or 4`);
    return { features: Number(f) as 8 | 16, loadBatch: Number(l), rows };
  });
const LAYERS = Number(process.env.KVC_GEMV_LAYERS ?? 28);
/** Timed rounds after the warm-up (time-dispatches.ts); CI's lavapipe run takes 1. */
const ROUNDS = Number(process.env.KVC_GEMV_ROUNDS ?? 5);
const RANK = 16;
const SHAPES: [string, number, number][] = [
  ['q', 2048, 1024],
  ['k', 1024, 1024],
  ['v', 1024, 1024],
  ['o', 1024, 2048],
  ['gate', 3072, 1024],
  ['up', 3072, 1024],
  ['down', 1024, 3072],
];

await initBackend('webgpu');
const b = webgpuBackend();
const device = b.device;
let gpuError: string | undefined;
device.addEventListener('uncapturederror', (e) => (gpuError ??= (e as GPUUncapturedErrorEvent).error.message));

let seed = 1;
const weights = Array.from({ length: LAYERS }, () =>
  SHAPES.map(([, n, k]) => {
    const w = uniformMatrix([n, k], seed++);
    const m = F16Matrix.fromTensor(w);
    w.dispose();
    return { m, a: uniformMatrix([RANK, k], seed++, -0.05, 0.05), b: uniformMatrix([n, RANK], seed++, -0.05, 0.05) };
  }),
);
const weightBytes = weights.flat().reduce((s, w) => s + w.m.rowsP * w.m.colsP * 2, 0);
console.log(`features ${[...device.features].sort().join(' ')}`);
console.log(`${LAYERS} layers, ${(weightBytes / 1e6).toFixed(0)} MB of packed f16 weights a step`);

for (const batch of batches) {
  const xs = new Map<number, tf.Tensor2D>();
  for (const [, , k] of SHAPES) if (!xs.has(k)) xs.set(k, uniformMatrix([batch, k], 1000 + k, -2, 2));
  for (const lora of [false, true]) {
    let first: Float32Array[] | undefined;
    for (const tiling of tilings) {
      const outs: GPUBuffer[] = [];
      const dispatches: Dispatch[] = [];
      for (const layer of weights) {
        layer.forEach((w, i) => {
          const [, n, k] = SHAPES[i]!;
          const shape: GemvShape = {
            n,
            k,
            rows: gemvRowBucket(batch),
            tiling,
            ...(lora ? { rank: RANK, scaling: 2 } : {}),
          };
          const pipeline = pipelineFor(device, gemvWgsl(shape));
          const c = device.createBuffer({
            size: batch * n * 4,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
          });
          outs.push(c);
          const bufs = [gpuBufferOf(b, xs.get(k)!), gpuBufferOf(b, w.m.bits)];
          if (lora) bufs.push(gpuBufferOf(b, w.a), gpuBufferOf(b, w.b));
          bufs.push(c);
          const group = device.createBindGroup({
            layout: pipeline.getBindGroupLayout(0),
            entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })),
          });
          dispatches.push({ pipeline, group, workgroups: gemvDispatch(shape) });
        });
      }
      submitPending(b); // the operands' own kernels (tfjs records them and submits in batches) run first
      const ms = await timeDispatches(device, dispatches, ROUNDS + 1);
      // The first layer's seven outputs against the first tiling's.
      const got = await Promise.all(outs.slice(0, SHAPES.length).map((c) => readGpuBuffer(device, c)));
      let rel = 0;
      if (first) {
        got.forEach((g, i) => (rel = Math.max(rel, maxRelDiff(g, first![i]!))));
      } else first = got;
      for (const c of outs) c.destroy();
      const tb = weightBytes / (ms / 1000) / 1e12;
      console.log(
        `B${batch} ${lora ? 'lora' : 'plain'} tiling ${tiling.features}x${tiling.loadBatch}r${tiling.rows ?? 1}: ${ms.toFixed(3)} ms a step ` +
          `(${((ms * 1000) / dispatches.length).toFixed(1)} µs a product, ${tb.toFixed(2)} TB/s of weights), ` +
          `max rel diff vs first ${rel.toExponential(1)}${gpuError ? ` GPU ERROR ${gpuError}` : ''}`,
      );
    }
  }
  tf.dispose([...xs.values()]);
}
