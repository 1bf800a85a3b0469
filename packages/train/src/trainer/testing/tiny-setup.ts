/**
 * A tiny, fully seeded training setup for trainer tests: a random Qwen3 written to a tmp folder
 * and loaded, a fresh LoRA adapter and projector, synthetic samples (prompt + caption + EOS built
 * with the real `buildExample`) with random vision features, and the `TrainerData` that pulls them
 * through the real `batchSource`. Used by the unit tests and by the kill/resume child script of
 * the integration tests (from dist), so both train exactly the same model.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoraAdapter, Projector, SEED_LORA_CONFIG, SeededRandom, loadQwen3 } from '@kvc/models';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import type { LoraAdapter as LoraAdapterT, Projector as ProjectorT, Qwen3ForCausalLM } from '@kvc/models';
import { buildExample } from '../../batching/build-example.js';
import { batchSource, type FeatureTensor, type TrainSample } from '../../batching/batch-source.js';
import { epochOrder } from '../../batching/epoch-order.js';
import type { TrainerData, TrainerOptions } from '../trainer-types.js';

export interface TinySetupOptions {
  /** Folder for the model and runs (default: a new tmp folder, removed by dispose). */
  readonly dir?: string;
  readonly hidden?: number;
  readonly layers?: number;
  readonly vocab?: number;
  readonly visionTokens?: number;
  readonly visionDim?: number;
  readonly numSamples?: number;
  readonly captionLength?: number;
  readonly loraR?: number;
  readonly loraDropout?: number;
  readonly projectorType?: 'linear' | 'mlp2x_gelu';
  /** Scale of the random base weights (default 0.4: large enough that the frozen lm_head can
   * express a confident prediction through the final RMSNorm, so a batch can be overfitted). */
  readonly weightScale?: number;
  readonly seed?: number;
}

export interface TinyParts {
  readonly model: Qwen3ForCausalLM;
  readonly projector: ProjectorT;
  readonly lora: LoraAdapterT;
}

export interface TinyDataOptions {
  readonly batchSize: number;
  readonly seed?: number;
  readonly shuffle?: boolean;
  /** Replaces the feature loader (e.g. to count calls). */
  readonly loadFeatures?: (id: string) => Promise<FeatureTensor>;
}

export interface TinySetup {
  readonly dir: string;
  readonly modelDir: string;
  readonly parts: TinyParts;
  readonly eosId: number;
  readonly padId: number;
  readonly promptIds: readonly number[];
  readonly captions: ReadonlyMap<string, readonly number[]>;
  readonly samples: readonly TrainSample[];
  readonly features: ReadonlyMap<string, FeatureTensor>;
  loadFeatures(id: string): Promise<FeatureTensor>;
  data(o: TinyDataOptions): TrainerData;
  /** Trainer options for a run in `<dir>/<name>`: one stage-1 and one stage-2 epoch unless overridden. */
  options(name: string, over?: Partial<TrainerOptions>): TrainerOptions;
  dispose(): Promise<void>;
}

export async function tinySetup(o: TinySetupOptions = {}): Promise<TinySetup> {
  const seed = o.seed ?? 7;
  const vocab = o.vocab ?? 64;
  const hidden = o.hidden ?? 32;
  const ownDir = !o.dir;
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'kvc-tiny-')));
  await mkdir(dir, { recursive: true });
  const eosId = vocab - 1;
  const padId = vocab - 2;
  const modelDir = join(dir, 'model');
  const heads = 4;
  await writeRandomQwen3(
    modelDir,
    tinyQwen3ConfigJson({
      vocab_size: vocab,
      hidden_size: hidden,
      intermediate_size: hidden * 2,
      num_hidden_layers: o.layers ?? 1,
      num_attention_heads: heads,
      num_key_value_heads: 2,
      head_dim: hidden / heads,
      eos_token_id: eosId,
      pad_token_id: padId,
    }),
    { seed, scale: o.weightScale ?? 0.4 },
  );
  const model = await loadQwen3(modelDir);
  const lora = LoraAdapter.create(
    model.linearModules(),
    { ...SEED_LORA_CONFIG, r: o.loraR ?? 4, loraAlpha: 2 * (o.loraR ?? 4), loraDropout: o.loraDropout ?? 0 },
    seed + 1,
  );
  const visionTokens = o.visionTokens ?? 4;
  const visionDim = o.visionDim ?? 8;
  const projector = Projector.create(o.projectorType ?? 'linear', visionDim, hidden, seed + 2);

  const rng = new SeededRandom(seed + 3);
  const promptIds = [3, 4, 5];
  const captions = new Map<string, number[]>();
  const features = new Map<string, FeatureTensor>();
  const samples: TrainSample[] = [];
  for (let i = 0; i < (o.numSamples ?? 4); i++) {
    const id = `v${i}`;
    // Caption ids avoid the prompt ids, EOS and pad, so "ends with EOS" means the model learned to stop.
    const caption = Array.from(rng.uniform(o.captionLength ?? 5, 6, padId - 0.001), (x) => Math.floor(x));
    captions.set(id, caption);
    features.set(id, { shape: [visionTokens, visionDim], data: rng.uniform(visionTokens * visionDim, -1, 1) });
    samples.push({ id, example: buildExample({ promptIds, captionIds: caption, eosId, maxTextLength: 64 }) });
  }
  const loadFeatures = async (id: string): Promise<FeatureTensor> => {
    const f = features.get(id);
    if (!f) throw new Error(`no features for ${id}`);
    return f;
  };
  const parts: TinyParts = { model, projector, lora };
  return {
    dir,
    modelDir,
    parts,
    eosId,
    padId,
    promptIds,
    captions,
    samples,
    features,
    loadFeatures,
    data(d) {
      const base = {
        samples,
        loadFeatures: d.loadFeatures ?? loadFeatures,
        batchSize: d.batchSize,
        padId,
        seed: d.seed ?? seed,
        ...(d.shuffle !== undefined ? { shuffle: d.shuffle } : {}),
      };
      return {
        batchesPerEpoch: epochOrder({ numSamples: samples.length, batchSize: d.batchSize, seed: base.seed, epoch: 0 })
          .length,
        batches: (_stage, epoch, startBatch) => batchSource({ ...base, epoch, startBatch }),
      };
    },
    options(name, over = {}) {
      return {
        runDir: join(dir, name),
        stages: [
          { name: 'stage1', epochs: 1, lr: 1e-2, trainLora: false },
          { name: 'stage2', epochs: 1, lr: 1e-2, trainLora: true },
        ],
        gradAccumulation: 1,
        maxGradNorm: 1,
        warmupRatio: 0,
        weightDecay: 0,
        betas: [0.9, 0.999],
        eps: 1e-8,
        seed,
        config: { tiny: true, seed },
        ...over,
      };
    },
    async dispose() {
      model.dispose();
      lora.dispose();
      projector.dispose();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
