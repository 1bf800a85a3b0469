/**
 * The run configuration: one typed, readonly object validated once (zod) at the CLI boundary and
 * logged at the start of a run. Units are in the names. Unknown keys are errors (with a
 * suggestion) so a typo never silently falls back to a default. Presets hold overrides only.
 */
import { z } from 'zod';

const stage = (epochs: number, lr: number) =>
  z.strictObject({
    epochs: z.number().int().min(0).default(epochs),
    lr: z.number().positive().default(lr),
    /** Stage 2 only: a separate LR for the projector (defaults to `lr`). */
    projectorLr: z.number().positive().optional(),
  });

export const runConfigSchema = z.strictObject({
  /** Free text that names the run in reports. */
  name: z.string().default('kvc-run'),
  backend: z.enum(['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  /**
   * `f16`: frozen weights (linear layers, embedding, output head) held in f16 and multiplied with f32
   * accumulation, with dynamic loss scaling in training; webgpu only (docs/precision.md). `f32` everywhere else.
   */
  precision: z.enum(['f32', 'f16']).default('f32'),
  /**
   * Which kernels run attention and the elementwise ops on the webgpu backend (docs/precision.md);
   * other backends keep their tfjs ops, the f32 reference.
   */
  kernels: z
    .strictObject({
      /**
       * `tfjs`: the chunked tfjs op; `fused`: the fused WGSL kernels (one dispatch per layer and
       * direction, f32); `tensor-cores`: the fused kernels with their products on f16 subgroup
       * matrices, self-tested at start-up (else the tfjs op, with a warning). The seed preset's.
       */
      attention: z.enum(['tfjs', 'fused', 'tensor-cores']).default('tfjs'),
      /** `fused`: RMSNorm, SwiGLU, RoPE, LayerNorm and the GELUs as one WGSL dispatch each way; `tfjs`: tfjs ops. */
      elementwise: z.enum(['fused', 'tfjs']).default('fused'),
    })
    .prefault({}),
  /**
   * GiB of freed GPU buffers kept for reuse on webgpu (gpu/buffer-pool.ts); the rest are destroyed.
   * A step that frees more than this creates and destroys thousands of buffers again every step: at
   * the seed's batch the 0.6B step took 15.4 s with 2 GiB and 6.6 s with 24 GiB on an H200
   * (bench/results/2026-11-28-direct-attention-h200.md). Lower it when the GPU runs out of memory.
   */
  gpuPoolGiB: z.number().min(0).default(2),
  /**
   * GiB of GPU memory that live tensors and freed buffers may take together on webgpu before freed buffers are
   * given back (gpu/buffer-pool.ts `maxAllocatedBytes`); when set (and not 0), freed buffers are kept up to it and
   * `gpuPoolGiB` is not used. A pool bounded by its free bytes gives buffers back while the step asks for them
   * again: the seed's Qwen3-8B step created 300 GiB of buffers a step at 8 layers with 6 GiB kept, and took 51 s at
   * 36 layers, against 14.6 s kept up to 56 GiB (bench/results/2026-11-29-pool-cap-h200.md,
   * 2026-11-29-attention-tiles-h200.md). The device holds a little more than this: buffers the pool destroyed are freed
   * only when the GPU has run the work queued before them, and the backward waits on the GPU once 4 GiB of them are
   * in flight (gpu/gpu-pacer.ts); with 56 the seed's whole run peaked at 68.2 GB of an H200's nvidia-smi. Leave
   * ~10 GiB of the card beside it. 0: no such bound (gpuPoolGiB's instead).
   */
  gpuMemoryGiB: z.number().min(0).optional(),
  /** Download hub models missing from the Hugging Face cache into it (never implicit). */
  allowDownload: z.boolean().default(false),
  data: z
    .strictObject({
      /** A dataset folder or manifest: AIHub folder, `<split>.jsonl` manifests or a Hugging Face folder. */
      root: z.string().default('data'),
      trainSplit: z.string().default('train'),
      valSplit: z.string().default('val'),
      /** Use at most this many samples per split (0 = all). */
      maxSamples: z.number().int().min(0).default(0),
      /** Manifests and metadata files may name videos by absolute path (else only inside the dataset folder). */
      allowAbsolutePaths: z.boolean().default(false),
    })
    .prefault({}),
  vision: z
    .strictObject({
      model: z.string().default('openai/clip-vit-large-patch14-336'),
      revision: z.string().default('main'),
      /** Which hidden state to cache: -1 = last_hidden_state (the seed), -2 = penultimate (LLaVA). */
      layer: z.number().int().default(-1),
      frames: z.number().int().min(1).default(8),
      /** Drop the CLS token (the seed keeps the 576 patch tokens of each frame). */
      dropCls: z.boolean().default(true),
    })
    .prefault({}),
  features: z
    .strictObject({
      /** One directory, or several looked up in order (shards); new features go to the first. */
      cacheDir: z.union([z.string(), z.array(z.string()).min(1)]).default('.kvc-cache/features'),
      dtype: z.enum(['float16', 'float32']).default('float16'),
      /** Frames of this many videos go through the vision encoder together. */
      batchVideos: z.number().int().min(1).default(4),
      /** Videos decoded at once (ffmpeg processes) while the encoder works; 0 = one per core, at most 32. */
      decodeConcurrency: z.number().int().min(0).default(0),
      /**
       * Where videos are decoded and their frames resized: `workers` (threads, one per decode: the main thread
       * only feeds the encoder) or `main`. The frames are the same bit for bit.
       */
      decodeIn: z.enum(['workers', 'main']).default('workers'),
      /** Append per-patch late-minus-early frame tokens on load (pipeline/motion-tokens.ts); off in the seed. */
      motionTokens: z.boolean().default(false),
    })
    .prefault({}),
  llm: z
    .strictObject({
      model: z.string().default('Qwen/Qwen3-8B'),
      revision: z.string().default('main'),
      /**
       * Frozen decoder linear weights: `nf4` = bitsandbytes' 4-bit NormalFloat, quantized as they load (the
       * seed's 4-bit base; docs/precision.md), `none` = as loaded. Embeddings, norms, head, LoRA stay f32.
       */
      quantization: z
        .enum(['none', 'nf4'], { error: 'expected none or nf4 (the seed\'s 4-bit base is nf4; "4bit" is now "nf4")' })
        .default('none'),
      tokenizer: z.string().optional(),
    })
    .prefault({}),
  projector: z.strictObject({ type: z.enum(['linear', 'mlp2x_gelu']).default('linear') }).prefault({}),
  lora: z
    .strictObject({
      r: z.number().int().min(1).default(16),
      alpha: z.number().positive().default(32),
      dropout: z.number().min(0).max(1).default(0.05),
      targetModules: z
        .array(z.string())
        .default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
    })
    .prefault({}),
  prompt: z.string().default('이 영상을 자세히 설명해주세요.'),
  /** Text tokens per example (prompt + caption + EOS); the seed's max_length. */
  maxTextLength: z.number().int().min(2).default(768),
  train: z
    .strictObject({
      seed: z.number().int().default(42),
      batchSize: z.number().int().min(1).default(4),
      gradAccumulation: z.number().int().min(1).default(2),
      maxGradNorm: z.number().positive().default(1.0),
      warmupRatio: z.number().min(0).max(1).default(0.1),
      weightDecay: z.number().min(0).default(0.01),
      betas: z.tuple([z.number(), z.number()]).default([0.9, 0.999]),
      eps: z.number().positive().default(1e-8),
      gradientCheckpointing: z.boolean().default(true),
      /**
       * With gradientCheckpointing: keep each layer's MLP input (one hidden state a layer) instead of
       * recomputing it in backward, which saves one attention forward a layer (nn/checkpointed.ts).
       */
      checkpointStageInputs: z.boolean().default(false),
      /**
       * With gradientCheckpointing: keep the stage inputs and also each layer's attention output and
       * row statistics, so the backward's recompute skips the attention forward (nn/checkpointed.ts);
       * [B, heads, T, headDim] f32 a layer.
       */
      checkpointAttention: z.boolean().default(false),
      /**
       * Also checkpoint every N optimizer steps inside an epoch (0: at epoch ends only). Long epochs on
       * preemptible machines lose at most N steps; each checkpoint holds the LoRA, projector and AdamW state.
       */
      checkpointEverySteps: z.number().int().min(0).default(0),
      /** Step checkpoints kept besides latest and best. */
      keepCheckpoints: z.number().int().min(1).default(2),
      /** TensorBoard event files in `<run>/tensorboard` (scalars per step and epoch, sample captions). */
      tensorboard: z.boolean().default(true),
      /**
       * Dynamic loss scaling, used when precision is f16 (torch GradScaler's rules and defaults): the loss is
       * multiplied by the scale before backward; a step with inf/NaN gradients is skipped and the scale halves;
       * it doubles after growthInterval good steps. maxConsecutiveSkips skipped steps in a row stop the run.
       */
      lossScale: z
        .strictObject({
          init: z
            .number()
            .positive()
            .default(2 ** 16),
          growthFactor: z.number().gt(1).default(2),
          backoffFactor: z.number().gt(0).lt(1).default(0.5),
          growthInterval: z.number().int().min(1).default(2000),
          maxConsecutiveSkips: z.number().int().min(1).default(20),
        })
        .prefault({}),
      /** Check every micro-batch's gradients; an inf/NaN stops the run naming the layer where it first appears. */
      checkNonFinite: z.boolean().default(false),
      stage1: stage(2, 1e-3).prefault({}),
      stage2: stage(3, 5e-5).prefault({}),
      /**
       * Metric that picks best/ (the seed: SigLIP2 score). `attribute_accuracy` exists only in
       * `kvc demo` (validation captions naming color, shape and direction right).
       */
      bestMetric: z.enum(['siglip', 'meteor', 'bertscore_f1', 'cider', 'loss', 'attribute_accuracy']).default('siglip'),
    })
    .prefault({}),
  generation: z
    .strictObject({
      /** The seed used 128, which cuts AIHub captions (≈400 tokens): default higher. */
      maxNewTokens: z.number().int().min(1).default(512),
      repetitionPenalty: z.number().positive().default(1.2),
      batchSize: z.number().int().min(1).default(8),
      /**
       * The KV cache's keys and values: `auto` keeps them as f16 rows on webgpu with the fused attention and f16
       * or NF4 weights (half the memory), else float32; `f32` and `f16` force one (`f16` needs webgpu).
       */
      kvCache: z.enum(['auto', 'f32', 'f16']).default('auto'),
    })
    .prefault({}),
  eval: z
    .strictObject({
      metrics: z
        .array(z.enum(['siglip', 'meteor', 'bertscore', 'cider', 'bleu', 'rouge', 'diversity']))
        .default(['siglip', 'meteor', 'bertscore', 'diversity']),
      siglipModel: z.string().default('google/siglip2-so400m-patch14-384'),
      /** `max_length` (64, the model card) or `longest` (the seed's padding=True). */
      siglipPadding: z.enum(['max_length', 'longest']).default('max_length'),
      bertModel: z.string().default('bert-base-multilingual-cased'),
      bertLayer: z.number().int().default(9),
      /** Evaluate on at most this many validation samples per epoch (0 = all). */
      maxSamples: z.number().int().min(0).default(0),
    })
    .prefault({}),
});

export type RunConfig = Readonly<z.output<typeof runConfigSchema>>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
