/**
 * The decoding step's attention alone (gpu/flash-decode-wgsl.ts): for every layer, `partial` over the f16 KV cache
 * and `combine`, all layers' dispatches in one compute pass as a replayed step runs them (time-dispatches.ts), each
 * layer its own cache (Qwen3-0.6B at batch 8 reads 155 MB a layer, past the H200's 50 MB L2). Per batch and split
 * (keys a workgroup of `partial`): ms a step for both kernels, for `partial` alone and for `combine` alone, and the
 * cache's bytes over the whole time against the H200's 4.8 TB/s. Each split's output of the first layer is checked
 * against the first split's (the same sums in another order). On the H200 (session 18) its times disagreed with
 * the real decoding step's profile (gen-bench KVC_BENCH_PROFILE_STEP=1) by ~3×, and so did its ranking of the splits
 * (bench/results/2026-11-29-pool-cap-h200.md): check a choice in the real step before trusting it.
 * Usage: decode-bench.ts [0.6b|8b] [batches, default 1,8,32]; KVC_DECODE_SPLITS (default 64,128,256,512),
 * KVC_DECODE_KEYS (the cache's capacity: 4864, the seed's 4620 + 128 rounded up to 256), KVC_DECODE_LAYERS (the
 * model's), KVC_DECODE_ROUNDS (5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { decodeShapeOf } from '../../packages/models/src/gpu/flash-decode.js';
import { decodeCombineWgsl, decodePartialWgsl, decodeSplits } from '../../packages/models/src/gpu/flash-decode-wgsl.js';
import {
  gpuBufferOf,
  pipelineFor,
  submitPending,
  webgpuBackend,
} from '../../packages/models/src/gpu/webgpu-internals.js';
import { paddingAttentionBias } from '../../packages/models/src/nn/attention-bias.js';
import { maxRelDiff } from './max-rel-diff.js';
import { readGpuBuffer } from './read-gpu-buffer.js';
import { timeDispatches, type Dispatch } from './time-dispatches.js';

const MODELS = {
  '0.6b': { nh: 16, nkv: 8, d: 128, layers: 28 },
  '8b': { nh: 32, nkv: 8, d: 128, layers: 36 },
  tiny: { nh: 4, nkv: 2, d: 64, layers: 2 },
} as const;
const modelName = (process.argv[2] ?? '0.6b') as keyof typeof MODELS;
const model = MODELS[modelName];
if (!model) throw new Error(`decode-bench: model ${process.argv[2]} is not one of ${Object.keys(MODELS).join(', ')}`);
const batches = (process.argv[3] ?? '1,8,32').split(',').map(Number);
const splits = (process.env.KVC_DECODE_SPLITS ?? '64,128,256,512').split(',').map(Number);
const S = Number(process.env.KVC_DECODE_KEYS ?? 4864);
const LAYERS = Number(process.env.KVC_DECODE_LAYERS ?? model.layers);
const ROUNDS = Number(process.env.KVC_DECODE_ROUNDS ?? 5);
const { nh, nkv, d } = model;

await initBackend('webgpu');
const b = webgpuBackend();
const device = b.device;
const limit = device.limits.maxComputeWorkgroupStorageSize;
let gpuError: string | undefined;
device.addEventListener('uncapturederror', (e) => (gpuError ??= (e as GPUUncapturedErrorEvent).error.message));
console.log(
  `decode-bench: ${modelName} (${nh} heads, ${nkv} kv heads, d ${d}), ${LAYERS} layers, ${S} keys, f16 cache; ` +
    `workgroup storage ${limit} B`,
);

/** Int32 words of two random halves in ±[0.125, 1) (values do not change the kernels' work). */
function randomRows(shape: number[], seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const half = (s: number) =>
      tf.add(
        tf.randomUniform(shape, 0x3000, 0x3c00, 'int32', s),
        tf.mul(tf.randomUniform(shape, 0, 2, 'int32', s + 1), tf.scalar(0x8000, 'int32')),
      );
    // The high half keeps its sign bit clear, so the word stays a positive int32.
    return tf.add(
      half(seed),
      tf.mul(tf.randomUniform(shape, 0x3000, 0x3c00, 'int32', seed + 2), tf.scalar(65536, 'int32')),
    ) as tf.Tensor4D;
  });
}

for (const batch of batches) {
  const rowsShape = [batch, nkv, S, d / 2];
  const caches = Array.from({ length: LAYERS }, (_, l) => ({
    k: randomRows(rowsShape, 10 * l + 1),
    v: randomRows(rowsShape, 10 * l + 5),
  }));
  const q = tf.randomUniform([batch, nh, 1, d], -2, 2, 'float32', 7) as tf.Tensor4D;
  // Left pads of a few rows and the cache's unwritten tail, as a decoding step sees them.
  const mask = tf.tidy(() => {
    const keys = tf.range(0, S, 1, 'int32');
    const pads = tf.reshape(tf.mul(tf.range(0, batch, 1, 'int32'), 3), [batch, 1]);
    return tf.cast(tf.logicalAnd(tf.greaterEqual(keys, pads), tf.less(keys, S - 100)), 'float32') as tf.Tensor2D;
  });
  const bias = paddingAttentionBias(mask);
  mask.dispose();
  const cacheBytes = LAYERS * 2 * batch * nkv * S * d * 2;
  let first: Float32Array | undefined;
  for (const split of splits) {
    const shape = decodeShapeOf(q, caches[0]!.k, caches[0]!.v, bias, limit, split);
    if (!shape) {
      console.log(
        `B${batch} split ${split}: not taken (workgroup memory over ${limit} B, or a shape the kernels refuse)`,
      );
      continue;
    }
    const n = decodeSplits(shape);
    const rep = nh / nkv;
    const buffer = (bytes: number, usage = GPUBufferUsage.STORAGE) => device.createBuffer({ size: bytes, usage });
    const po = buffer(batch * nkv * n * rep * d * 4);
    const ps = buffer(batch * nkv * n * rep * 2 * 4);
    const outs = caches.map(() => buffer(batch * nh * d * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC));
    const partial = pipelineFor(device, decodePartialWgsl(shape));
    const combine = pipelineFor(device, decodeCombineWgsl(shape));
    const group = (pipeline: GPUComputePipeline, bufs: GPUBuffer[]) =>
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: bufs.map((buf, binding) => ({ binding, resource: { buffer: buf } })),
      });
    const gpuOf = (t: tf.Tensor) => gpuBufferOf(b, t);
    const partials: Dispatch[] = caches.map((c) => ({
      pipeline: partial,
      group: group(partial, [gpuOf(q), gpuOf(c.k), gpuOf(c.v), gpuOf(bias), po, ps]),
      workgroups: [n, batch * nkv],
    }));
    const combines: Dispatch[] = outs.map((o) => ({
      pipeline: combine,
      group: group(combine, [po, ps, o]),
      workgroups: [batch * nh, 1],
    }));
    submitPending(b); // the inputs' own kernels first
    const both = await timeDispatches(
      device,
      partials.flatMap((p, i) => [p, combines[i]!]),
      ROUNDS + 1,
    );
    const partialOnly = await timeDispatches(device, partials, ROUNDS + 1);
    const combineOnly = await timeDispatches(device, combines, ROUNDS + 1);
    // Layer 0's output, from a pass of its own two kernels (the timed passes leave the last layer's partials).
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (const x of [partials[0]!, combines[0]!]) {
      pass.setPipeline(x.pipeline);
      pass.setBindGroup(0, x.group);
      pass.dispatchWorkgroups(...(x.workgroups as [number, number]));
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    const got = await readGpuBuffer(device, outs[0]!);
    const rel = first ? maxRelDiff(got, first) : 0;
    first ??= got;
    const finite = got.every(Number.isFinite);
    console.log(
      `B${batch} split ${split}: ${n} runs a kv head, ${n * batch * nkv} workgroups; ` +
        `${both.toFixed(3)} ms a step (partial ${partialOnly.toFixed(3)}, combine ${combineOnly.toFixed(3)}), ` +
        `${(cacheBytes / (both / 1000) / 1e12).toFixed(2)} TB/s of cache; ` +
        `max rel diff vs first ${rel.toExponential(1)}${finite ? '' : ' NOT FINITE'}${gpuError ? ` GPU ERROR ${gpuError}` : ''}`,
    );
    for (const x of [po, ps, ...outs]) x.destroy();
  }
  tf.dispose([q, bias, ...caches.flatMap((c) => [c.k, c.v])]);
}
