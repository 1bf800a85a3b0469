/**
 * The seed's training sequence on the GPU: batch 4 × (8 frames × 576 vision tokens + 768 text
 * tokens) through a LoRA r16 (all 7 modules) + linear projector loss and backward, with
 * per-layer gradient checkpointing, fused (query-chunked, recomputing) attention and the
 * chunked lm_head cross-entropy. Random weights built on the device (speed and memory do not
 * depend on the values).
 *
 *   0.6b      Qwen3-0.6B (28 layers, hidden 1024, tied 151936-row embedding)
 *   8b [L]    Qwen3-8B widths (hidden 4096, 32/8 heads, MLP 12288, untied embedding and head
 *             of 151936 × 4096 = 2.5 GB each, over the 2 GiB binding: loaded as row shards),
 *             L of its 36 layers (default 4: the per-layer cost and memory scale with L)
 *
 * Usage on the device: bash bench/gpu/run-on-gpu.sh seed-sequence webgpu 0.6b [L] [steps] [f32|f16] [none|nf4]
 * f16: frozen linear weights, embedding and head in f16 (F16Matrix, F16RowMatrix), matmuls through
 * the f16 GEMM; nf4: decoder linear weights as random NF4 codes and scales (Nf4Matrix: the speed
 * of the NF4 GEMM does not depend on the values; quantizing 7 billion random weights on the host
 * would take minutes).
 * Prints one line per step (ms, loss) and the engine's GPU bytes; peak device memory comes
 * from nvidia-smi sampled alongside (see bench/results/*-seed-sequence-h100.md). KVC_BENCH_HOST_CALLS=1 adds the
 * host time inside WebGPU's buffer, submit and read-back calls (host-call-timer.ts). KVC_BENCH_PROFILE (below): GPU time by kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  LoraAdapter,
  Projector,
  Qwen3ForCausalLM,
  SEED_LORA_CONFIG,
  backendMaxTensorBytes,
  initBackend,
  parseQwen3Config,
  qwen3ExpectedShapes,
  throwIfDeviceError,
  vlmLossAndGrads,
  F16Matrix,
  SeededRandom,
  gpuPoolStats,
  setAttentionGemmDefault,
  resetGpuPoolPeak,
  setGpuPoolLimit,
  gpuPacingTotals,
  type LayerCheckpointing,
  type LinearWeight,
  type RowMatrix,
} from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import { applyBenchAttention } from './bench-attention.js';
import { QWEN3_0_6B, QWEN3_8B } from './qwen3-real-configs.js';
import { randomNf4Matrix, randomRowMatrix } from './random-bench-weights.js';
import { randomQwen3Layers } from './random-qwen3-layers.js';
import { timeHostCalls } from './host-call-timer.js';
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';
import {
  startOwnKernelProfile,
  stopOwnKernelProfile,
  type OwnKernelTime,
} from '../../packages/models/src/gpu/own-kernel-profile.js';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const size = process.argv[3] ?? '0.6b';
const layers8b = Number(process.argv[4] ?? 4);
const steps = Number(process.argv[5] ?? 3);
const precision = (process.argv[6] ?? 'f32') as 'f32' | 'f16';
const quant = (process.argv[7] ?? 'none') as 'none' | 'nf4';
await initBackend(backend, { purpose: 'training' });
// KVC_BENCH_ATTENTION_GEMM=1: attention's head-dimension products on the batched f16 GEMM (off by default).
if (process.env.KVC_BENCH_ATTENTION_GEMM === '1') setAttentionGemmDefault(true);
// KVC_BENCH_FUSED=1 or tensor-cores: attention on the fused kernels (bench-attention.ts).
console.log(await applyBenchAttention());
// `tiny` is a CPU smoke test of this script (small shapes, embedding forced into 3 shards).
const tiny = size === 'tiny';
const [B, NV, NT, VISION_HIDDEN] = tiny
  ? [2, 64, 16, 32]
  : [
      Number(process.env.KVC_BENCH_BATCH ?? 4),
      Number(process.env.KVC_BENCH_FRAMES ?? 8) * 576,
      Number(process.env.KVC_BENCH_TEXT ?? 768),
      1024,
    ];
// KVC_BENCH_PROFILE=1: the last step runs under tf.profile (tfjs's kernels, each submitted and timed alone, so the
// GPU idles between them) and the profile of our own kernels (own-kernel-profile.ts) and prints GPU time per kernel;
// KVC_BENCH_PROFILE=own: our kernels' profile alone, the step running as it does unprofiled (what is left of its
// wall time is tfjs's kernels and the gaps).
const profile = process.env.KVC_BENCH_PROFILE === '1' || process.env.KVC_BENCH_PROFILE === 'own';
const tfjsProfile = process.env.KVC_BENCH_PROFILE === '1';

const json = tiny
  ? tinyQwen3ConfigJson({ vocab_size: 1000, hidden_size: 64, tie_word_embeddings: false, num_hidden_layers: 2 })
  : size === '8b'
    ? tinyQwen3ConfigJson({
        ...QWEN3_8B,
        // KVC_BENCH_VOCAB: a smaller head for lavapipe runs (its bindings stop at 128 MiB).
        vocab_size: Number(process.env.KVC_BENCH_VOCAB ?? QWEN3_8B.vocab_size),
        num_hidden_layers: layers8b,
      })
    : tinyQwen3ConfigJson({
        ...QWEN3_0_6B,
        // L > 0: the first L layers only (lavapipe runs); 0: all 28
        ...(layers8b > 0 ? { num_hidden_layers: layers8b } : {}),
        ...(process.env.KVC_BENCH_VOCAB ? { vocab_size: Number(process.env.KVC_BENCH_VOCAB) } : {}),
      });
const config = parseQwen3Config(json, 'seed-sequence');
const shapes = qwen3ExpectedShapes(config);
const maxBytes = tiny ? (1000 * 64 * 4) / 3 + 4 : backendMaxTensorBytes();
console.log(
  `backend ${tf.getBackend()}, max tensor ${maxBytes} B, Qwen3 ${size}${size === '8b' ? ` (${layers8b} layers)` : ''}, batch ${B} × (${NV} + ${NT}), ${precision}, quantization ${quant}`,
);

let seed = 1;
const rand = (shape: readonly number[], std = 0.02): tf.Tensor =>
  tf.randomNormal([...shape], 0, std, 'float32', seed++);
const ones = (shape: readonly number[]): tf.Tensor => tf.ones([...shape]);
/** A [rows, cols] matrix as the loader would hold it: row shards when over the binding limit. */
const matrix = (name: string): RowMatrix =>
  randomRowMatrix(name, shapes.get(name)!, precision, maxBytes, (shape) => rand(shape) as tf.Tensor2D);
function lin(name: string): { weight: LinearWeight } {
  const [rows, cols] = shapes.get(`${name}.weight`)! as [number, number];
  if (quant === 'nf4') return { weight: randomNf4Matrix(rows, cols, () => seed++) };
  const t = rand([rows, cols]) as tf.Tensor2D;
  if (precision === 'f32') return { weight: t };
  const w = F16Matrix.fromTensor(t);
  t.dispose();
  return { weight: w };
}
const layers = randomQwen3Layers(config, lin);
const model = new Qwen3ForCausalLM(config, {
  embedTokens: matrix('model.embed_tokens.weight'),
  layers,
  norm: ones([config.hiddenSize]) as tf.Tensor1D,
  lmHead: config.tieWordEmbeddings ? undefined : matrix('lm_head.weight'),
});
// KVC_BENCH_LORA_DROPOUT: the LoRA dropout rate (default the seed preset's 0.05; masks drawn on the device, hash-dropout.ts).
const loraDropout = Number(process.env['KVC_BENCH_LORA_DROPOUT'] ?? SEED_LORA_CONFIG.loraDropout);
const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, loraDropout }, 1);
const dropoutRng = new SeededRandom(42);
console.log(`LoRA r16 on 7 modules, dropout ${loraDropout}`);
// LoRA B starts at 0 (PEFT): make it non-zero so every LoRA gradient is exercised.
for (const [n, v] of lora.variables()) if (n.includes('lora_B')) v.assign(rand(v.shape, 0.01));
const projector = Projector.create('linear', VISION_HIDDEN, config.hiddenSize, 1);
const trainable = new Map([...projector.variables('projector.'), ...lora.variables()]);

const feats = rand([B, NV, VISION_HIDDEN], 1) as tf.Tensor3D;
const ids = tf.randomUniform([B, NT], 0, config.vocabSize - 2, 'int32', 7) as tf.Tensor2D;
const mask = tf.ones([B, NT], 'int32') as tf.Tensor2D;
const idData = (await ids.data()) as Int32Array;
// Labels cover the text positions (vlmLoss puts the vision prefix in front, unlabelled): every
// text token is a target, the most the seed's 768-token captions can have.
const labels = idData;
const gpuBytes = (): string => {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  const pool = tf.getBackend() === 'webgpu' ? gpuPoolStats() : undefined;
  // Peaks since the last line: live tensors' buffers, and those plus the free pool (device memory
  // beyond these is Dawn's: buffers destroyed but still owned by queued work, staging, pipelines).
  const peak = pool
    ? `; peak in use ${(pool.peakBytesInUse / 2 ** 30).toFixed(2)} GiB, peak allocated ${(pool.peakBytesAllocated / 2 ** 30).toFixed(2)} GiB, ${pool.destroyedBuffers} buffers (${(pool.destroyedBytes / 2 ** 30).toFixed(1)} GiB) destroyed`
    : '';
  if (pool) resetGpuPoolPeak();
  const rss = `, host peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`;
  return `tensors ${(m.numBytes / 2 ** 30).toFixed(2)} GiB, gpu in use ${((m.numBytesInGPU ?? 0) / 2 ** 30).toFixed(2)} GiB, gpu allocated incl. free pool ${((m.numBytesAllocatedInGPU ?? 0) / 2 ** 30).toFixed(2)} GiB${peak}${rss}`;
};
console.log(`weights built: ${gpuBytes()}`);

/**
 * KVC_BENCH_CHECKPOINT=keep-stage-inputs keeps each layer's MLP input (one attention forward fewer a
 * layer), keep-attention also the attention's results (two fewer); default: recompute both.
 */
const checkpointLayers = ((): LayerCheckpointing => {
  const mode = process.env['KVC_BENCH_CHECKPOINT'] ?? 'recompute';
  if (mode === 'keep-stage-inputs' || mode === 'keep-attention') return mode;
  if (mode !== 'recompute')
    throw new Error(`KVC_BENCH_CHECKPOINT=${mode}: recompute, keep-stage-inputs or keep-attention`);
  return true;
})();

// KVC_BENCH_HOST_CALLS=1: each step also prints the host time inside the WebGPU calls a churning pool makes
// (host-call-timer.ts): is a host-bound step creating and destroying buffers, submitting, or waiting on read-backs?
const hostCalls =
  process.env.KVC_BENCH_HOST_CALLS === '1' && tf.getBackend() === 'webgpu'
    ? timeHostCalls(webgpuBackend().device)
    : undefined;

async function trainStep(step: number): Promise<void> {
  hostCalls?.take();
  const pacedBefore = gpuPacingTotals();
  const t0 = performance.now();
  const { loss, grads } = await vlmLossAndGrads(
    { model, projector, lora },
    { visionFeatures: feats, inputIds: ids, attentionMask: mask, labels },
    trainable,
    { checkpointLayers, dropoutRng },
  );
  // Recording ends when vlmLossAndGrads returns (webgpu runs behind it, less the waits of a paced
  // backward, printed below); if it is most of the step, the host (issuing dispatches), not the GPU, sets the pace.
  const recorded = performance.now() - t0;
  const l = (await loss.data())[0]!;
  const lossAt = performance.now() - t0;
  // Read every gradient back: the step is done only when all of them exist.
  let sq = 0;
  for (const g of grads.values()) sq += (await tf.tidy(() => tf.sum(tf.square(g))).data())[0]!;
  throwIfDeviceError('the train step');
  const ms = performance.now() - t0;
  console.log(
    `step ${step} (ended at ${Date.now()}): ${ms.toFixed(0)} ms (recorded at ${recorded.toFixed(0)} ms, loss read at ${lossAt.toFixed(0)} ms), loss ${l.toFixed(4)}, grad norm ${Math.sqrt(sq).toExponential(3)}, ${grads.size} grads; ${gpuBytes()}`,
  );
  if (hostCalls) console.log(`  host calls in step ${step}: ${hostCalls.format(hostCalls.take())}`);
  const pacing = gpuPacingTotals();
  if (pacing.fences > pacedBefore.fences)
    console.log(
      `  paced backward: ${pacing.fences - pacedBefore.fences} fences, ${pacing.waits - pacedBefore.waits} waits on the GPU (${(pacing.waitedMs - pacedBefore.waitedMs).toFixed(0)} ms)`,
    );
  loss.dispose();
  for (const g of grads.values()) g.dispose();
}

/** Our own kernels' GPU time in the profiled step, by bindings and workgroups (largest first). */
function printOwnProfile(own: OwnKernelTime[], wallMs: number) {
  const total = own.reduce((a, e) => a + e.ms, 0);
  const count = own.reduce((a, e) => a + e.count, 0);
  console.log(
    `own kernels: ${count} dispatches, ${total.toFixed(0)} ms of GPU time in a step of ${wallMs.toFixed(0)} ms of wall`,
  );
  for (const e of own.slice(0, 30))
    console.log(
      `  ${e.ms.toFixed(0).padStart(7)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ×${e.count}  ${e.label}`,
    );
  console.log('  --');
}

/**
 * The last step profiled (KVC_BENCH_PROFILE): our kernels' GPU time by bindings and workgroups; with
 * KVC_BENCH_PROFILE=1 also tf.profile's GPU time per tfjs kernel name, and per name + shape.
 */
async function profiledStep(step: number) {
  const onGpu = tf.getBackend() === 'webgpu';
  if (onGpu) startOwnKernelProfile();
  const t0 = performance.now();
  if (!tfjsProfile) {
    await trainStep(step);
    if (onGpu) printOwnProfile(await stopOwnKernelProfile(webgpuBackend()), performance.now() - t0);
    return;
  }
  const info = await tf.profile(() => trainStep(step));
  if (onGpu) printOwnProfile(await stopOwnKernelProfile(webgpuBackend()), performance.now() - t0);
  // GPU time per kernel name, and per name + output shape (where the time goes).
  const byName = new Map<string, { ms: number; n: number }>();
  const byShape = new Map<string, { ms: number; n: number }>();
  // Custom-gradient ops show up as "unnamed scope" wrapping the kernels they ran: counted twice.
  for (const k of info.kernels.filter((x) => x.name !== 'unnamed scope')) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    for (const [m, key] of [
      [byName, k.name],
      [byShape, `${k.name} ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`],
    ] as const) {
      const e = m.get(key) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n += 1;
      m.set(key, e);
    }
  }
  const total = [...byName.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`profile: ${info.kernels.length} kernels, ${total.toFixed(0)} ms of kernel time`);
  for (const [m, top] of [
    [byName, 20],
    [byShape, 25],
  ] as const) {
    for (const [key, e] of [...m].sort((x, y) => y[1].ms - x[1].ms).slice(0, top))
      console.log(
        `  ${e.ms.toFixed(0).padStart(7)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ×${e.n}  ${key}`,
      );
    console.log('  --');
  }
}

/** The steps, the last one profiled when KVC_BENCH_PROFILE=1 (under whichever pool setting runs them). */
async function runSteps() {
  for (let step = 0; step < steps; step++) await (profile && step === steps - 1 ? profiledStep(step) : trainStep(step));
}

// KVC_BENCH_SUBMIT="15,64,256": rerun the steps under each WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
// (how many dispatches tfjs-webgpu records before it submits; tfjs's default is 15).
for (const submit of (process.env.KVC_BENCH_SUBMIT ?? '').split(',').filter(Boolean).map(Number)) {
  if (tf.getBackend() === 'webgpu') tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', submit);
  console.log(`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=${submit}`);
  await runSteps();
}

// KVC_BENCH_POOL_GIB="2,16": rerun the steps under each bound on the freed buffers the GPU pool keeps
// (setGpuPoolLimit; default 2 GiB): a pool that churns creates and destroys thousands of buffers a step.
for (const gib of (process.env.KVC_BENCH_POOL_GIB ?? '').split(',').filter(Boolean).map(Number)) {
  setGpuPoolLimit({ maxFreeBytes: gib * 2 ** 30 });
  console.log(`GPU pool keeps ${gib} GiB of freed buffers`);
  await runSteps();
}

// KVC_BENCH_POOL_CAP_GIB="40,60": the same under a pool that keeps every freed buffer until a new one would take the
// allocated bytes past the cap (GpuPoolLimit.maxAllocatedBytes), then gives back the least recently freed.
// KVC_BENCH_INFLIGHT_GIB="1,8,inf": each cap under each bound on the destroyed buffers the GPU has not yet given back
// (GpuPoolLimit.maxDestroyedInFlightBytes, gpu/gpu-pacer.ts; default 4 GiB; inf: the backward never waits).
const inflights = (process.env.KVC_BENCH_INFLIGHT_GIB ?? '')
  .split(',')
  .filter(Boolean)
  .map((v) => (v === 'inf' ? Infinity : Number(v)));
for (const gib of (process.env.KVC_BENCH_POOL_CAP_GIB ?? '').split(',').filter(Boolean).map(Number)) {
  for (const inflight of inflights.length ? inflights : [undefined]) {
    const paced = inflight === undefined ? {} : { maxDestroyedInFlightBytes: inflight * 2 ** 30 };
    setGpuPoolLimit({ maxFreeBytes: Infinity, maxAllocatedBytes: gib * 2 ** 30, ...paced });
    const bound = inflight === undefined ? 'the default' : `${inflight} GiB`;
    console.log(`GPU pool keeps freed buffers up to ${gib} GiB allocated; destroyed in flight: ${bound}`);
    await runSteps();
  }
}

if (!(process.env.KVC_BENCH_SUBMIT || process.env.KVC_BENCH_POOL_GIB || process.env.KVC_BENCH_POOL_CAP_GIB))
  await runSteps();
process.exit(0);
