/**
 * The demo's models, built once and cached by content: a tiny CLIP vision tower, pretrained on
 * a separate labelled synthetic set so its patch tokens know shape, color, background and
 * position (a real CLIP arrives pretrained), and a tiny Qwen3 over a compact slice of the real
 * Qwen3 vocabulary, whose base is warmed up as a plain causal LM on `prompt + caption + EOS` of the training captions (a real LLM arrives
 * pretrained; this one must first learn the caption language). Folder names carry a hash of
 * everything that shapes them, so a second run with the same inputs reuses them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installWasmMatMulFix, loadImageProcessor, loadQwen3, loadTokenizer } from '@kvc/models';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import { pretrainTinyClipVision } from './pretrain-tiny-clip-vision.js';
import { saveQwen3Weights } from './qwen3-named-weights.js';
import { allSynthCaptions } from './synth-caption-corpus.js';
import { visionPretrainFrames } from './vision-pretrain-frames.js';
import { warmUpCausalLm } from './warm-up-causal-lm.js';
import { writeCompactTokenizer } from './write-compact-tokenizer.js';
import { tinyClipVisionConfigJson, writeTinyClipVision, type TinyClipVisionOptions } from './write-tiny-clip-vision.js';

export const DEMO_BUILD_FILE = 'kvc_build.json';

export interface DemoWarmUpOptions {
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Stop the warm-up early after this many seconds. */
  readonly maxSeconds?: number;
}

export interface DemoVisionPretrainOptions {
  /** Synthetic clips rendered for it (a separate set: its own seed, never the demo's videos). */
  readonly clips: number;
  readonly framesPerClip: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Stop the pretraining early after this many seconds. */
  readonly maxSeconds?: number;
}

export type DemoProgress = {
  phase: 'warm-up' | 'vision-pretrain';
  step: number;
  steps: number;
  loss: number;
  elapsedS: number;
};

export interface DemoModelOptions {
  /** Warm-up corpus: the training captions. */
  readonly captions: readonly string[];
  readonly prompt: string;
  /**
   * Optional context before each caption in the warm-up (parallel to `captions`), e.g. another
   * phrasing of the same facts: the tiny LM then learns to read facts from its context and
   * say them, the in-context ability a pretrained LLM brings and the vision prefix relies on.
   */
  readonly contexts?: readonly string[];
  /** Texts the compact vocabulary must cover besides `captions` and `prompt` (default: every synthetic caption). */
  readonly vocabTexts?: readonly string[];
  readonly seed?: number;
  readonly vision?: TinyClipVisionOptions;
  /** config.json overrides of the tiny Qwen3. */
  readonly llm?: Readonly<Record<string, unknown>>;
  readonly warmUp?: DemoWarmUpOptions;
  /** Supervised pretraining of the tiny CLIP (default DEMO_VISION_PRETRAIN; `false`: keep it random). */
  readonly visionPretrain?: DemoVisionPretrainOptions | false;
  readonly onProgress?: (e: DemoProgress) => void;
}

/** Held-out loss and per-target accuracy / squared error of the vision pretraining, before and after. */
export interface DemoVisionPretrainSummary {
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly seconds: number;
}

export interface DemoModels {
  readonly visionDir: string;
  readonly llmDir: string;
  /** True when both folders already existed with these inputs. */
  readonly reused: boolean;
  readonly warmUp: {
    readonly lossBefore: number;
    readonly lossAfter: number;
    readonly steps: number;
    readonly seconds: number;
  };
  /** null when the tower stayed random. */
  readonly visionPretrain: DemoVisionPretrainSummary | null;
}

/** The demo preset's tiny Qwen3 shape (vocab, eos and pad come from the compact vocabulary). */
export const DEMO_LLM_CONFIG: Readonly<Record<string, unknown>> = {
  hidden_size: 128,
  intermediate_size: 384,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 32,
  tie_word_embeddings: true,
  max_position_embeddings: 1024,
};
export const DEMO_WARM_UP: DemoWarmUpOptions = { steps: 80, batchSize: 32, lr: 3e-3, maxSeconds: 120 };
/** The demo's tiny-CLIP pretraining (bench/demo/RESULTS.md, run I). */
export const DEMO_VISION_PRETRAIN: DemoVisionPretrainOptions = {
  clips: 1000,
  framesPerClip: 8,
  steps: 1000,
  batchSize: 32,
  lr: 3e-3,
  maxSeconds: 100,
};
/** The demo preset's tiny CLIP: 32×32 frames, 16×16 patches (4 tokens a frame, 32 for 8 frames). */
export const DEMO_VISION: TinyClipVisionOptions = {
  imageSize: 32,
  patchSize: 16,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
};

const hash = (x: unknown): string => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 12);

/** Writes into a temporary sibling, then renames: a folder that exists is complete. */
async function buildOnce(dir: string, build: (tmp: string) => Promise<void>): Promise<boolean> {
  if (existsSync(join(dir, DEMO_BUILD_FILE))) return false;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await build(tmp);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return true;
}

export async function buildDemoModels(outDir: string, o: DemoModelOptions): Promise<DemoModels> {
  // The warm-up trains every weight: on wasm it needs the untransposed matmul fast path.
  installWasmMatMulFix();
  const seed = o.seed ?? 42;
  const vision = o.vision ?? DEMO_VISION;
  const visionJson = tinyClipVisionConfigJson(vision);
  const pre = o.visionPretrain ?? DEMO_VISION_PRETRAIN;
  const visionKey = { v: 2, visionJson, seed, pretrain: pre || null };
  const visionDir = join(outDir, `tiny-clip-${hash(visionKey)}`);
  let visionPretrain: DemoVisionPretrainSummary | null | undefined;
  const builtVision = await buildOnce(visionDir, async (tmp) => {
    await writeTinyClipVision(tmp, { ...vision, seed });
    visionPretrain = null;
    if (pre) {
      // Its own seed: the pretraining clips are never the demo's train or val videos.
      const grid = Number(visionJson.image_size) / Number(visionJson.patch_size);
      const data = visionPretrainFrames(await loadImageProcessor(tmp), {
        clips: pre.clips,
        framesPerClip: pre.framesPerClip,
        seed: seed + 100_003,
        grid,
      });
      const r = await pretrainTinyClipVision(tmp, data.frames, data.targets, {
        ...pre,
        seed,
        ...(o.onProgress
          ? {
              onStep: (s: { step: number; steps: number; loss: number; elapsedS: number }) =>
                o.onProgress!({ phase: 'vision-pretrain', ...s }),
            }
          : {}),
      });
      visionPretrain = { before: r.before, after: r.after, steps: r.steps, seconds: r.seconds };
    }
    await writeFile(
      join(tmp, DEMO_BUILD_FILE),
      JSON.stringify({ kind: 'tiny-clip-vision', ...visionKey, visionPretrain }, null, 2),
    );
  });
  if (visionPretrain === undefined)
    visionPretrain =
      (
        JSON.parse(await readFile(join(visionDir, DEMO_BUILD_FILE), 'utf8')) as {
          visionPretrain?: DemoVisionPretrainSummary | null;
        }
      ).visionPretrain ?? null;

  const warm = o.warmUp ?? DEMO_WARM_UP;
  const llmOverrides = { ...DEMO_LLM_CONFIG, ...o.llm };
  const vocabTexts = o.vocabTexts ?? allSynthCaptions();
  if (o.contexts && o.contexts.length !== o.captions.length)
    throw new RangeError(`buildDemoModels: ${o.contexts.length} contexts for ${o.captions.length} captions`);
  const llmKey = {
    v: 1,
    captions: o.captions,
    contexts: o.contexts ?? null,
    prompt: o.prompt,
    vocabTexts: hash(vocabTexts),
    llmOverrides,
    warm,
    seed,
  };
  const llmDir = join(outDir, `tiny-qwen3-${hash(llmKey)}`);
  let warmUp: DemoModels['warmUp'] | undefined;
  const builtLlm = await buildOnce(llmDir, async (tmp) => {
    const vocab = await writeCompactTokenizer(tmp, [o.prompt, ...o.captions, ...(o.contexts ?? []), ...vocabTexts]);
    const config = tinyQwen3ConfigJson({
      ...llmOverrides,
      vocab_size: vocab.originalIds.length,
      eos_token_id: vocab.eosTokenId,
      pad_token_id: vocab.padTokenId,
    });
    await writeRandomQwen3(tmp, config, { seed, scale: 0.02 });
    const tok = await loadTokenizer(tmp);
    const promptIds = tok.encode(o.prompt);
    // Segment by segment, as the VLM batches are built: [context,] prompt, caption, EOS.
    const seqs = o.captions.map((c, i) => [
      ...(o.contexts ? tok.encode(o.contexts[i]!) : []),
      ...promptIds,
      ...tok.encode(c),
      vocab.eosTokenId,
    ]);
    const base = await loadQwen3(tmp);
    try {
      const r = await warmUpCausalLm(base, seqs, {
        ...warm,
        padId: vocab.padTokenId,
        seed,
        ...(o.onProgress
          ? {
              onStep: (s: { step: number; steps: number; loss: number; elapsedS: number }) =>
                o.onProgress!({ phase: 'warm-up', ...s }),
            }
          : {}),
      });
      try {
        await saveQwen3Weights(r.model, tmp);
      } finally {
        r.model.dispose();
      }
      warmUp = { lossBefore: r.lossBefore, lossAfter: r.lossAfter, steps: r.steps, seconds: r.seconds };
      await writeFile(
        join(tmp, DEMO_BUILD_FILE),
        JSON.stringify(
          { kind: 'tiny-qwen3', ...llmKey, captions: o.captions.length, vocabSize: vocab.originalIds.length, warmUp },
          null,
          2,
        ),
      );
    } finally {
      base.dispose();
    }
  });
  if (!warmUp)
    warmUp = (JSON.parse(await readFile(join(llmDir, DEMO_BUILD_FILE), 'utf8')) as { warmUp: DemoModels['warmUp'] })
      .warmUp;
  return { visionDir, llmDir, reused: !builtVision && !builtLlm, warmUp, visionPretrain };
}
