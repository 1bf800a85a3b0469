// The demo by hand, before the pipeline exists: synthetic videos → 8 frames (32×32 in ffmpeg) →
// tiny CLIP features (last hidden state, CLS dropped, optional 2×2 patch pooling) → stage 1
// (projector) and stage 2 (projector + LoRA) with @kvc/train → greedy captions for val →
// attribute accuracy, METEOR vs a constant caption, diversity, EOS rate, wall time per phase.
// Knobs via env (see `cfg`); run: bash bench/demo/run.sh bench/demo/learnability.ts
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom, firstValueFrom } from 'rxjs';
import {
  ClipVisionModel,
  LoraAdapter,
  Projector,
  encodeFrames,
  initBackend,
  installWasmMatMulFix,
  loadImageProcessor,
  loadQwen3,
  loadTokenizer,
  vlmGenerate,
  SEED_LORA_CONFIG,
} from '@kvc/models';
import { batchSource, tokenizeExample, train, type FeatureTensor, type TrainSample } from '@kvc/train';
import { sampleVideo, synthDataset, type SynthAttributes } from '@kvc/video-io';
import { corpusMeteor, diversityStats } from '@kvc/eval';
import { buildDemoModels } from '../../apps/cli/src/demo/build-demo-models.js';
import { demoAttributeAccuracy } from '../../apps/cli/src/demo/demo-attribute-accuracy.js';
import { synthWarmUpContexts } from '../../apps/cli/src/demo/synth-caption-corpus.js';

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const cfg = {
  train: env('TRAIN', 128),
  val: env('VAL', 32),
  seed: env('SEED', 42),
  imageSize: env('IMG', 32),
  patch: env('PATCH', 8),
  visionHidden: env('VH', 64),
  visionLayers: env('VL', 2),
  pool: env('POOL', 1),
  warmSteps: env('WARM', 60),
  warmBs: env('WARM_BS', 32),
  warmLr: env('WARM_LR', 3e-3),
  llmLayers: env('LL', 2),
  llmHidden: env('LH', 128),
  projector: (process.env.PROJ ?? 'mlp2x_gelu') as 'mlp2x_gelu' | 'linear',
  e1: env('E1', 4),
  lr1: env('LR1', 1e-3),
  e2: env('E2', 4),
  lr2: env('LR2', 5e-4),
  bs: env('BS', 8),
  accum: env('ACC', 1),
  loraR: env('LORA_R', 8),
  loraAlpha: env('LORA_ALPHA', 16),
  maxNew: env('MAXNEW', 48),
  penalty: env('PENALTY', 1.0),
  evalEvery: env('EVAL_EVERY', 0),
  ctx: env('CTX', 1),
};
const root = process.env.ROOT ?? '/tmp/kvc-demo-bench';
const prompt = '이 영상을 자세히 설명해주세요.';
const times: Record<string, number> = {};
const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
  const t = Date.now();
  const r = await f();
  times[name] = (Date.now() - t) / 1000;
  console.log(`[${name}] ${times[name]!.toFixed(1)} s`);
  return r;
};
console.log(JSON.stringify(cfg));
const tAll = Date.now();
await initBackend('wasm');
installWasmMatMulFix();

const data = join(root, `data-${cfg.train}-${cfg.val}-${cfg.seed}`);
await phase('synth', async () => {
  if (!existsSync(join(data, 'synth.json')))
    await lastValueFrom(synthDataset({ out: data, train: cfg.train, val: cfg.val, seed: cfg.seed }), {
      defaultValue: undefined,
    });
});
type Item = { id: string; video: string; caption: string; attributes: SynthAttributes };
const items = (split: string): Item[] =>
  readdirSync(join(data, split, 'labels'))
    .sort()
    .map((f) => {
      const l = JSON.parse(readFileSync(join(data, split, 'labels', f), 'utf8')) as {
        annotation: { description_kr: string };
        attributes: SynthAttributes;
      };
      const id = f.replace(/\.json$/, '');
      return {
        id,
        video: join(data, split, 'videos', `${id}.mp4`),
        caption: l.annotation.description_kr,
        attributes: l.attributes,
      };
    });
const trainItems = items('train');
const valItems = items('val');

const models = await phase('models', () =>
  buildDemoModels(join(root, 'models'), {
    captions: trainItems.map((s) => s.caption),
    prompt,
    seed: cfg.seed,
    ...(cfg.ctx
      ? {
          contexts: synthWarmUpContexts(
            trainItems.map((s) => s.attributes),
            cfg.seed,
          ),
        }
      : {}),
    vision: {
      imageSize: cfg.imageSize,
      patchSize: cfg.patch,
      hiddenSize: cfg.visionHidden,
      numLayers: cfg.visionLayers,
    },
    llm: { num_hidden_layers: cfg.llmLayers, hidden_size: cfg.llmHidden },
    warmUp: { steps: cfg.warmSteps, batchSize: cfg.warmBs, lr: cfg.warmLr },
    onProgress: (e) => {
      if (e.step % 20 === 0)
        console.log(`  warm-up ${e.step}/${e.steps} loss ${e.loss.toFixed(3)} ${e.elapsedS.toFixed(0)}s`);
    },
  }),
);
console.log(JSON.stringify(models));

/** [frames·patches, H] → average over pool×pool blocks of each frame's patch grid. */
function poolGrid(x: tf.Tensor3D, pool: number): tf.Tensor3D {
  if (pool === 1) return x;
  return tf.tidy(() => {
    const [n, p, h] = x.shape;
    const g = Math.round(Math.sqrt(p));
    const y = tf.avgPool(tf.reshape(x, [n, g, g, h]) as tf.Tensor4D, pool, pool, 'valid');
    return tf.reshape(y, [n, -1, h]) as tf.Tensor3D;
  });
}

const features = new Map<string, FeatureTensor>();
await phase('features', async () => {
  const clip = await ClipVisionModel.load(models.visionDir);
  const proc = await loadImageProcessor(models.visionDir);
  for (const it of [...trainItems, ...valItems]) {
    const v = await firstValueFrom(
      sampleVideo(it.video, { numFrames: 8, resize: { mode: 'exact', width: cfg.imageSize, height: cfg.imageSize } }),
    );
    const f = encodeFrames(clip, proc, v.frames, { dropCls: true, batchSize: 8 });
    const pooled = poolGrid(f, cfg.pool);
    const [n, t, h] = pooled.shape;
    features.set(it.id, { shape: [n * t, h], data: (await pooled.data()) as Float32Array });
    tf.dispose([f, pooled]);
  }
  clip.dispose();
});
const visionTokens = features.get(trainItems[0]!.id)!.shape[0]!;
console.log(`vision tokens per video: ${visionTokens}`);

const tok = await loadTokenizer(models.llmDir);
const model = await loadQwen3(models.llmDir);
const projector = Projector.create(cfg.projector, cfg.visionHidden, model.config.hiddenSize, cfg.seed);
const lora = LoraAdapter.create(
  model.linearModules(),
  { ...SEED_LORA_CONFIG, r: cfg.loraR, loraAlpha: cfg.loraAlpha },
  cfg.seed,
);
const parts = { model, projector, lora };
const samples: TrainSample[] = trainItems.map((s) => ({
  id: s.id,
  example: tokenizeExample(tok, prompt, s.caption, tok.eosTokenId!, 256),
}));
const promptIds = tok.encode(prompt);

async function evaluate(items: readonly Item[]) {
  const preds: string[] = [];
  const eos: boolean[] = [];
  for (let i = 0; i < items.length; i += 16) {
    const chunk = items.slice(i, i + 16);
    const f = features.get(chunk[0]!.id)!;
    const x = tf.tensor3d(Float32Array.from(chunk.flatMap((c) => [...features.get(c.id)!.data])), [
      chunk.length,
      f.shape[0]!,
      f.shape[1]!,
    ]);
    const r = await vlmGenerate(parts, x, promptIds, {
      maxNewTokens: cfg.maxNew,
      repetitionPenalty: cfg.penalty,
      tokenizer: tok,
      eosTokenId: tok.eosTokenId!,
    });
    x.dispose();
    for (const g of r) {
      preds.push(g.text ?? '');
      eos.push(g.reachedEos);
    }
  }
  const acc = demoAttributeAccuracy(
    preds,
    items.map((s) => s.attributes),
  );
  const refs = items.map((s) => s.caption);
  const meteor = corpusMeteor(preds, refs).meteor;
  // Constant baseline: the most common training caption's template filled with nothing visual: one train caption for all.
  const constant = corpusMeteor(
    refs.map(() => trainItems[0]!.caption),
    refs,
  ).meteor;
  const div = diversityStats(preds, { eosReached: eos });
  return {
    acc,
    meteor,
    constantMeteor: constant,
    uniqueRatio: div.uniqueRatio,
    distinct1: div.distinct1,
    distinct2: div.distinct2,
    eosRate: eos.filter(Boolean).length / eos.length,
    preds,
  };
}

const runDir = join(root, `run-${Date.now()}`);
await rm(runDir, { recursive: true, force: true });
const stage = (name: string) => ({
  batchesPerEpoch: Math.ceil(samples.length / cfg.bs),
  batches: (_st: string, epoch: number, startBatch: number) =>
    batchSource({
      samples,
      loadFeatures: async (id) => features.get(id)!,
      batchSize: cfg.bs,
      padId: tok.padTokenId!,
      seed: cfg.seed + (name === 'x' ? 1 : 0),
      epoch,
      startBatch,
    }),
});
await phase('train', async () => {
  const events = train({
    options: {
      runDir,
      stages: [
        { name: 'stage1', epochs: cfg.e1, lr: cfg.lr1, trainLora: false, evaluate: cfg.evalEvery > 0 },
        { name: 'stage2', epochs: cfg.e2, lr: cfg.lr2, trainLora: true, evaluate: cfg.evalEvery > 0 },
      ].filter((s) => s.epochs > 0),
      gradAccumulation: cfg.accum,
      maxGradNorm: 1,
      warmupRatio: 0.1,
      weightDecay: 0,
      betas: [0.9, 0.999],
      eps: 1e-8,
      seed: cfg.seed,
      config: cfg,
    },
    parts,
    data: stage('train'),
    ...(cfg.evalEvery > 0
      ? {
          evaluate: async () => {
            const r = await evaluate(valItems);
            console.log(
              `  eval all3 ${r.acc.all3.toFixed(2)} color ${r.acc.color.toFixed(2)} shape ${r.acc.shape.toFixed(2)} dir ${r.acc.direction.toFixed(2)} meteor ${r.meteor.toFixed(3)}`,
            );
            return { metrics: { all3: r.acc.all3, meteor: r.meteor } };
          },
        }
      : {}),
  });
  await new Promise<void>((res, rej) =>
    events.subscribe({
      next: (e) => {
        if (e.type === 'epoch')
          console.log(`  ${e.stage} epoch ${e.epoch} loss ${e.trainLoss.toFixed(3)} ${e.elapsedS.toFixed(0)}s`);
      },
      error: rej,
      complete: res,
    }),
  );
});
const r = await phase('eval', () => evaluate(valItems));
const trainR = await phase('eval-train', () => evaluate(trainItems.slice(0, 32)));
console.log('VAL', JSON.stringify({ ...r, preds: r.preds.slice(0, 6) }, null, 0));
console.log('VAL refs', JSON.stringify(valItems.slice(0, 6).map((s) => s.caption)));
console.log('TRAIN(32)', JSON.stringify({ acc: trainR.acc, meteor: trainR.meteor }));
console.log('TIMES', JSON.stringify(times), 'total', ((Date.now() - tAll) / 1000).toFixed(1));
console.log(
  'RESULT',
  JSON.stringify({
    cfg,
    val: {
      ...r.acc,
      meteor: r.meteor,
      constantMeteor: r.constantMeteor,
      uniqueRatio: r.uniqueRatio,
      eosRate: r.eosRate,
    },
    times,
  }),
);
await rm(runDir, { recursive: true, force: true });
