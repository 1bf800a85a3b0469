/**
 * Presets: overrides on top of the schema's defaults, nothing else.
 * `seed` is the research notebook's CONFIG exactly; every key and its source is listed in
 * docs/presets.md. `demo` is the tiny end-to-end run on the synthetic dataset.
 */
import type { RunConfigInput } from './run-config.js';

export const presets = {
  seed: {
    name: 'seed',
    // The notebook computes in bf16 (a 4-bit base with bf16 compute): f16 is kvc's half precision.
    precision: 'f16',
    // Not in the notebook (PyTorch picks its SDPA kernels): attention's products on the tensor
    // cores; without subgroup matrices the tfjs op runs (config/gpu-kernels.ts).
    kernels: { attention: 'tensor-cores' },
    // Not in the notebook: GPU memory that live tensors and freed buffers kept for reuse may take together
    // (run-config.ts). At 56 the whole 36-layer 8B NF4 run through the CLI peaked at 68.2 GB of an H200's nvidia-smi
    // (fits an 80 GB card), 14.6 s a micro-batch step, against 51 s with only 6 GiB of freed buffers kept
    // (bench/results/2026-11-29-paced-backward-h200.md, …-attention-tiles-h200.md). gpuMemoryGiB=0 goes back to gpuPoolGiB's bound.
    gpuMemoryGiB: 56,
    vision: { model: 'openai/clip-vit-large-patch14-336', layer: -1, frames: 8, dropCls: true },
    llm: { model: 'Qwen/Qwen3-8B', quantization: 'nf4' },
    projector: { type: 'linear' },
    lora: {
      r: 16,
      alpha: 32,
      dropout: 0.05,
      targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    },
    prompt: '이 영상을 자세히 설명해주세요.',
    maxTextLength: 768,
    train: {
      seed: 42,
      batchSize: 4,
      gradAccumulation: 2,
      maxGradNorm: 1.0,
      warmupRatio: 0.1,
      weightDecay: 0.01,
      stage1: { epochs: 2, lr: 1e-3 },
      stage2: { epochs: 3, lr: 5e-5 },
      bestMetric: 'siglip',
    },
    generation: { maxNewTokens: 128, repetitionPenalty: 1.2 },
    eval: {
      siglipModel: 'google/siglip2-so400m-patch14-384',
      siglipPadding: 'longest',
      bertModel: 'bert-base-multilingual-cased',
      bertLayer: 9,
    },
  },
  demo: {
    // Tuned on the 2-core CPU machine (bench/demo/RESULTS.md, runs F, H and K): tiny CLIP (32×32
    // frames, 16×16 patches → 4 tokens a frame, pretrained on separate labelled synthetic frames)
    // plus 4 motion tokens (late minus early frames: a 2-layer LM does not learn to compare
    // far-apart frame tokens in minutes), tiny Qwen3 (hidden 128, 2 layers) warmed up on captions;
    // 320 training videos.
    name: 'demo',
    backend: 'auto',
    data: { root: '.kvc-demo/data' },
    vision: { model: 'demo:tiny-clip', frames: 8 },
    features: { cacheDir: '.kvc-demo/cache', dtype: 'float32', batchVideos: 16, motionTokens: true },
    llm: { model: 'demo:tiny-qwen3' },
    projector: { type: 'mlp2x_gelu' },
    lora: { r: 16, alpha: 32, dropout: 0 },
    prompt: '이 영상을 설명해주세요.',
    maxTextLength: 64,
    train: {
      batchSize: 8,
      gradAccumulation: 1,
      warmupRatio: 0.1,
      weightDecay: 0,
      stage1: { epochs: 3, lr: 5e-3 },
      stage2: { epochs: 20, lr: 3e-3 },
      bestMetric: 'attribute_accuracy',
      gradientCheckpointing: false,
    },
    generation: { maxNewTokens: 48, repetitionPenalty: 1.0, batchSize: 32 },
    eval: { metrics: ['meteor', 'diversity', 'cider', 'bleu', 'rouge'] },
  },
} as const satisfies Record<string, RunConfigInput>;

export type PresetName = keyof typeof presets;
