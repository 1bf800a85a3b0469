/**
 * Greedy generation at the seed's prefix on the GPU (kvc issue #14): Qwen3-0.6B shapes (random
 * weights built on the device: speed and memory do not depend on the values), LoRA r16 on all 7
 * modules (unmerged, as in training), a 4620-token embedding prefix (8 frames × 576 vision tokens
 * + the prompt), repetition penalty 1.2, no EOS (random weights never stop: every run makes all
 * its tokens). Per batch: one short warm-up (compiles the shaders), then a timed run per new-token count.
 *
 * Usage: bash bench/gpu/run-on-gpu.sh gen-bench BACKEND SIZE BATCHES NEW_TOKENS [PRECISION] [PREFIX]
 *   BACKEND webgpu|cpu|wasm; SIZE 0.6b|8b|mid|tiny; BATCHES e.g. 1,8,32; NEW_TOKENS e.g. 128,512;
 *   PRECISION f32 (default), f16 (frozen weights through the f16 GEMM, webgpu only) or nf4 (the decoder's linear
 *   weights as random NF4 codes and scales, the seed's quantization; embedding and head f16); PREFIX 4620;
 *   LORA unmerged (default: as the CLI generates) or merged (W + BA once: no LoRA matmuls per token).
 * Env: KVC_BENCH_LAYERS / KVC_BENCH_VOCAB (8b: fewer layers, a smaller head), KVC_BENCH_FUSED=tensor-cores (the seed preset's attention), KVC_BENCH_POOL_GIB=6 (its pool bound),
 * KVC_BENCH_REPLAY=0 (record every decoding step instead of replaying a recorded one, as before session 11),
 * KVC_BENCH_KV=f32|f16 (the KV cache's rows; default generateGreedy's: f16 with f16 weights and the fused attention),
 * KVC_DECODE_SPLIT=256 (keys a workgroup of the decode attention, flash-decode-wgsl.ts; default DECODE_SPLIT),
 * KVC_GEMV_TILING=8x4r2 (the f16 and NF4 GEMVs' split, features x loadBatch r rows as in gemv-bench.ts; default the device's),
 * KVC_BENCH_PROFILE_STEP=1 (the recorded decoding step's GPU time by kernel, once per batch: RecordedStep.profile),
 * KVC_BENCH_PROFILE_PREFILL=1 (the same for the first prefill chunk, captured once per batch after the runs).
 * Device peak: run it under bench/gpu/with-peak-memory.sh (nvidia-smi, the whole process); the
 * lines here also give the GPU buffers' own peak per run (the bounded pool's counters).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  F16Matrix,
  KvCache,
  backendMaxTensorBytes,
  type LinearWeight,
  LoraAdapter,
  RecordedStep,
  Qwen3ForCausalLM,
  SEED_LORA_CONFIG,
  generateGreedy,
  kvCacheF16For,
  gpuPoolStats,
  initBackend,
  parseQwen3Config,
  fusedAttentionOn,
  prefillChunkTokens,
  roundedCapacity,
  qwen3ExpectedShapes,
  resetGpuPoolPeak,
  type StepTiming,
  setGpuPoolLimit,
  throwIfDeviceError,
} from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import { sampleGpuMemory } from './gpu-memory-sampler.js';
import { QWEN3_0_6B, QWEN3_8B } from './qwen3-real-configs.js';
import { randomNf4Matrix, randomRowMatrix } from './random-bench-weights.js';
import { applyBenchAttention } from './bench-attention.js';
import { randomQwen3Layers } from './random-qwen3-layers.js';
import { gemvTiling, setGemvTiling } from '../../packages/models/src/gpu/f16-gemv.js';
import { setDecodeSplit } from '../../packages/models/src/gpu/flash-decode.js';

const args = process.argv.slice(2);
const [backendArg = 'webgpu', size = '0.6b', batchArg = '1', newArg = '128', precision = 'f32', prefixArg, loraArg] =
  args;
const merged = loraArg === 'merged';
const replaySteps = process.env.KVC_BENCH_REPLAY !== '0';
const kvEnv = ((v): 'f32' | 'f16' | undefined => {
  if (v === undefined || v === 'f32' || v === 'f16') return v;
  throw new Error(`KVC_BENCH_KV: f32 or f16, not ${v}`);
})(process.env.KVC_BENCH_KV);
// KVC_DECODE_SPLIT: keys a workgroup of the decode attention's partial kernel takes (flash-decode-wgsl.ts).
if (process.env.KVC_DECODE_SPLIT) setDecodeSplit(Number(process.env.KVC_DECODE_SPLIT));
const gemvTilingEnv = process.env.KVC_GEMV_TILING;
if (gemvTilingEnv) {
  const [, f, l, r] = /^(8|16)x(\d+)(?:r([124]))?$/.exec(gemvTilingEnv) ?? [];
  if (!f) throw new Error(`KVC_GEMV_TILING: ${gemvTilingEnv} is not like 8x4r2 (features 8 or 16, rows 1, 2 or 4)`);
  setGemvTiling({ features: Number(f) as 8 | 16, loadBatch: Number(l), rows: Number(r ?? 1) as 1 | 2 | 4 });
}
const profileStep = process.env.KVC_BENCH_PROFILE_STEP === '1';
const profilePrefill = process.env.KVC_BENCH_PROFILE_PREFILL === '1';

/** The recorded step's GPU time by kernel label, largest first (timestamp queries, one pass per dispatch). */
async function printStepProfile(step: RecordedStep, label: string): Promise<void> {
  const times = await step.profile();
  if (!times) return void console.log(`  ${label}: no timestamp-query on this device, no profile`);
  const by = new Map<string, { n: number; ms: number }>();
  for (const { label: k, ms } of times) {
    const e = by.get(k) ?? { n: 0, ms: 0 };
    by.set(k, { n: e.n + 1, ms: e.ms + ms });
  }
  const total = times.reduce((a, t) => a + t.ms, 0);
  console.log(`  ${label}: ${times.length} dispatches, ${total.toFixed(2)} ms of GPU time in separate passes`);
  for (const [k, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20))
    console.log(`    ${e.ms.toFixed(3).padStart(9)} ms ${String(e.n).padStart(5)}×  ${k}`);
  // The honest split: the whole step in one pass, then without each of the largest kernels (timeInOnePass).
  const whole = await step.timeInOnePass();
  if (whole === undefined) return;
  console.log(`  ${label}: the whole step in one pass: ${whole.toFixed(3)} ms of GPU time`);
  for (const [k, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
    const without = (await step.timeInOnePass((l) => l !== k))!;
    console.log(
      `    without ${String(e.n).padStart(4)}× ${k}: ${without.toFixed(3)} ms (its share ${(whole - without).toFixed(3)} ms)`,
    );
  }
}
const backend = backendArg as 'webgpu' | 'cpu' | 'wasm';
const tiny = size === 'tiny';
await initBackend(backend, { purpose: 'inference' });
// KVC_BENCH_FUSED=tensor-cores: attention on the tensor-core kernels, as the seed preset generates (bench-attention.ts).
const attention = backend === 'webgpu' ? await applyBenchAttention() : 'tfjs ops';
// KVC_BENCH_POOL_GIB: the bound on the GPU pool's free buffers (the library's default 2; the seed preset caps allocated bytes instead, gpuMemoryGiB 56).
if (backend === 'webgpu' && process.env.KVC_BENCH_POOL_GIB)
  setGpuPoolLimit({ maxFreeBytes: Number(process.env.KVC_BENCH_POOL_GIB) * 2 ** 30 });
// `mid`: Qwen3-0.6B's vocabulary, heads and head size at hidden 128 and 2 layers (fits lavapipe's 128 MiB bindings).
// `8b`: Qwen3-8B (the seed's LLM; KVC_BENCH_LAYERS its first L layers, KVC_BENCH_VOCAB a smaller head for lavapipe).
const json = tiny
  ? tinyQwen3ConfigJson({ vocab_size: 1000, hidden_size: 64, num_hidden_layers: 2, tie_word_embeddings: true })
  : size === 'mid'
    ? tinyQwen3ConfigJson({ ...QWEN3_0_6B, hidden_size: 128, intermediate_size: 384, num_hidden_layers: 2 })
    : size === '8b'
      ? tinyQwen3ConfigJson({
          ...QWEN3_8B,
          num_hidden_layers: Number(process.env.KVC_BENCH_LAYERS ?? QWEN3_8B.num_hidden_layers),
          vocab_size: Number(process.env.KVC_BENCH_VOCAB ?? QWEN3_8B.vocab_size),
        })
      : tinyQwen3ConfigJson(QWEN3_0_6B);
const config = parseQwen3Config(json, 'gen-bench');
const shapes = qwen3ExpectedShapes(config);
const prefix = Number(prefixArg ?? (tiny ? 40 : 4620));
const batches = batchArg.split(',').map(Number);
const newTokens = newArg.split(',').map(Number);

let seed = 1;
/**
 * Random [rows, cols] N(0, 0.02) values, built mostly on the device: tf.randomNormal draws every value in
 * JavaScript (0.6B weights took most of a 120 s request before any generation), so a 64-row block is drawn
 * and tiled, each row scaled by its own draw (rows stay distinct: no ties in the lm_head's argmax).
 */
const rand = (shape: readonly number[]): tf.Tensor2D => {
  const [rows, cols] = shape as [number, number];
  if (rows * cols <= 1 << 20) return tf.randomNormal([rows, cols], 0, 0.02, 'float32', seed++) as tf.Tensor2D;
  return tf.tidy(() => {
    const block = tf.randomNormal([64, cols], 0, 0.02, 'float32', seed++);
    const tiled = tf.slice(tf.tile(block, [Math.ceil(rows / 64), 1]), [0, 0], [rows, cols]);
    return tf.mul(tiled, tf.randomNormal([rows, 1], 1, 0.25, 'float32', seed++)) as tf.Tensor2D;
  });
};
const ones = (n: number) => tf.ones([n]) as tf.Tensor1D;
const lin = (name: string): { weight: LinearWeight } => {
  const [rows, cols] = shapes.get(`${name}.weight`)! as [number, number];
  if (precision === 'nf4') return { weight: randomNf4Matrix(rows, cols, () => seed++) };
  const w = rand([rows, cols]);
  if (precision !== 'f16') return { weight: w };
  const m = F16Matrix.fromTensor(w);
  w.dispose();
  return { weight: m };
};
const layers = randomQwen3Layers(config, lin);
// Qwen3-8B's embedding and head (151936 × 4096) are over a binding: row shards, f16 with f16 or NF4 weights (as
// the seed preset loads them). Qwen3-0.6B's tied embedding stays one f32 tensor, as every earlier run had it.
const matrix = (name: string) =>
  size === '8b'
    ? randomRowMatrix(name, shapes.get(name)!, precision === 'f32' ? 'f32' : 'f16', backendMaxTensorBytes(), rand)
    : rand(shapes.get(name)!);
const model = new Qwen3ForCausalLM(config, {
  embedTokens: matrix('model.embed_tokens.weight'),
  layers,
  norm: ones(config.hiddenSize),
  lmHead: config.tieWordEmbeddings ? undefined : matrix('lm_head.weight'),
});
const lora = LoraAdapter.create(model.linearModules(), { ...SEED_LORA_CONFIG, loraDropout: 0 }, 1);
// PEFT starts B at zero; non-zero B makes the LoRA matmuls real work, as after training.
for (const [n, v] of lora.variables()) if (n.includes('lora_B')) v.assign(rand(v.shape));
// Merged: the same outputs without the LoRA matmuls (fewer kernels per token); the adapted weights are copies.
const generator = merged ? model.withMergedLora(lora) : model;
// The KV cache's rows for every run and the prefill profile: KVC_BENCH_KV, else what generateGreedy would take.
const kvCache = kvEnv ?? (kvCacheF16For(generator) ? 'f16' : 'f32');
const H = config.hiddenSize;
const gib = (x: number) => (x / 2 ** 30).toFixed(2);
console.log(
  `[${(performance.now() / 1000).toFixed(1)} s since start] kvc gen-bench: backend ${tf.getBackend()}, ` +
    `Qwen3 ${size} ${precision}, LoRA ${merged ? 'merged' : 'unmerged'}, prefix ${prefix}, batches ${batches}, ` +
    `new tokens ${newTokens}; weights ${gib(tf.memory().numBytes)} GiB of tensors; ${attention}, ` +
    `pool ${process.env.KVC_BENCH_POOL_GIB ?? 'default'} GiB, decoding steps ${replaySteps ? 'replayed' : 'recorded each'}, ` +
    `KV cache ${kvCache}` +
    (backend === 'webgpu' ? `, GEMV split ${JSON.stringify(gemvTiling())}` : ''),
);

for (const b of batches) {
  const prompts = Array.from({ length: b }, () => rand([prefix, H]));
  const opts = {
    repetitionPenalty: 1.2,
    eosTokenId: [] as number[],
    replaySteps,
    ...(merged ? {} : { lora }),
    kvCache,
  };
  // Progress on stdout as it goes (a run killed by a timeout still shows how far it got and how fast).
  // Each line also splits the decode steps since the last line into host recording and waiting for the GPU
  // (StepTiming): a step that is mostly recording is bound by the host, not the GPU.
  const split = { recordMs: 0, waitMs: 0, replayed: 0 };
  const progress = (label: string) => {
    const t0 = performance.now();
    let last = t0;
    let since = { recordMs: 0, waitMs: 0, steps: 0 };
    return (tokens: number, timing: StepTiming) => {
      const now = performance.now();
      if (tokens > 1) {
        since = {
          recordMs: since.recordMs + timing.recordMs,
          waitMs: since.waitMs + timing.waitMs,
          steps: since.steps + 1,
        };
        split.recordMs += timing.recordMs;
        split.waitMs += timing.waitMs;
        if (timing.replayed) split.replayed++;
      }
      if (tokens === 1 || tokens % 8 === 0 || now - last > 5000) {
        const per = (ms: number) => (ms / Math.max(since.steps, 1)).toFixed(0);
        console.log(
          `  ${label} B${b}: ${tokens} tokens at ${((now - t0) / 1000).toFixed(2)} s ` +
            (tokens === 1
              ? `(prefill + first token: recording ${timing.recordMs.toFixed(0)} ms, waiting ${timing.waitMs.toFixed(0)} ms)`
              : `(per step: recording ${per(since.recordMs)} ms, waiting ${per(since.waitMs)} ms)`),
        );
        since = { recordMs: 0, waitMs: 0, steps: 0 };
      }
      last = now;
    };
  };
  console.log(`  [${(performance.now() / 1000).toFixed(1)} s] batch ${b}: prompts built, warm-up (2 new tokens)`);
  await generateGreedy(generator, prompts, { ...opts, maxNewTokens: 2, onToken: progress('warm-up') });
  for (const newTok of newTokens) {
    resetGpuPoolPeak();
    split.recordMs = split.waitMs = split.replayed = 0;
    const sampler = sampleGpuMemory();
    const t0 = performance.now();
    const out = await generateGreedy(generator, prompts, {
      ...opts,
      maxNewTokens: newTok,
      onToken: progress(`new ${newTok}`),
      ...(profileStep ? { onStepRecorded: (step: RecordedStep<tf.Tensor2D>) => printStepProfile(step, `B${b}`) } : {}),
    });
    throwIfDeviceError('generation');
    const s = (performance.now() - t0) / 1000;
    const deviceMiB = await sampler.stop();
    const made = out.reduce((a, r) => a + r.ids.length, 0);
    const pool = gpuPoolStats();
    console.log(
      `RESULT kvc ${backend} ${precision}${merged ? ' merged' : ''} B${b} new ${newTok} prefix ${prefix}: ` +
        `${s.toFixed(2)} s, ${(made / s).toFixed(1)} tok/s (${made} ids), ` +
        (deviceMiB !== undefined ? `device peak ${(deviceMiB / 1024).toFixed(2)} GiB (nvidia-smi), ` : '') +
        (pool
          ? `gpu buffers peak ${gib(pool.peakBytesAllocated)} GiB, now ${gib(pool.bytesAllocated)} GiB ` +
            `(${gib(pool.freeBytes)} pooled), `
          : '') +
        `numTensors ${tf.memory().numTensors}; decode steps: recording ${(split.recordMs / 1000).toFixed(2)} s, ` +
        `waiting ${(split.waitMs / 1000).toFixed(2)} s, ${split.replayed} of ${newTok - 1} replayed`,
    );
  }
  if (profilePrefill && backend === 'webgpu') await profilePrefillChunk(b);
  tf.dispose(prompts);
}

/**
 * The first prefill chunk of a batch (as generateGreedy sizes it) captured as a RecordedStep over a fresh cache,
 * then profiled: which kernels the prefill's GPU time goes to. Separate passes per dispatch and pinned buffers:
 * no allocation or lazy zeroing of new buffers is in these times, so their sum against the run's prefill waiting
 * shows what those cost.
 */
async function profilePrefillChunk(b: number): Promise<void> {
  const chunk = Math.min(prefix, prefillChunkTokens(b, fusedAttentionOn()));
  const cache = KvCache.forModel(config, b, roundedCapacity(prefix + 2), kvCache === 'f16');
  const embeds = rand([b * chunk, H]);
  const x = tf.reshape(embeds, [b, chunk, H]);
  const mask = tf.ones([b, chunk]);
  const positions = tf.tile(tf.reshape(tf.range(0, chunk, 1, 'int32'), [1, chunk]), [b, 1]);
  const step = RecordedStep.capture([x], ([e]) =>
    generator.forward({
      inputsEmbeds: e as tf.Tensor3D,
      attentionMask: mask as tf.Tensor2D,
      positionIds: positions as tf.Tensor2D,
      cache,
      ...(merged ? {} : { lora }),
    }),
  );
  await printStepProfile(step, `prefill chunk B${b} × ${chunk} tokens`);
  step.dispose();
  cache.dispose();
  tf.dispose([embeds, x, mask, positions]);
}
process.exit(0);
