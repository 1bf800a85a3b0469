import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipVisionModel, initBackend, loadQwen3, loadTokenizer } from '@kvc/models';
import { planSynth } from '@kvc/video-io';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BUILD_FILE, buildDemoModels, type DemoModelOptions, type DemoModels } from './build-demo-models.js';
import { allSynthCaptions } from './synth-caption-corpus.js';

const prompt = '이 영상을 자세히 설명해주세요.';
const plan = planSynth({ out: '/unused', train: 24, val: 8 });
const opts: DemoModelOptions = {
  captions: plan.filter((s) => s.split === 'train').map((s) => s.caption),
  prompt,
  seed: 7,
  vision: { hiddenSize: 32, numLayers: 1 },
  llm: { hidden_size: 32, intermediate_size: 64, head_dim: 8, num_hidden_layers: 1 },
  warmUp: { steps: 12, batchSize: 8, lr: 1e-2 },
  visionPretrain: { clips: 64, framesPerClip: 4, steps: 30, batchSize: 16, lr: 3e-3 },
};

describe('buildDemoModels', () => {
  const out = mkdtempSync(join(tmpdir(), 'kvc-demo-models-'));
  let first: DemoModels;
  beforeAll(async () => {
    await initBackend('wasm');
    first = await buildDemoModels(out, opts);
  }, 120_000);

  it('writes a pretrained tiny CLIP and a warmed-up tiny Qwen3 over a compact vocabulary', async () => {
    expect(first.reused).toBe(false);
    expect(first.visionPretrain?.steps).toBe(30);
    expect(first.visionPretrain!.after.loss).toBeLessThan(first.visionPretrain!.before.loss!);
    expect(Object.keys(first.visionPretrain!.after).sort()).toEqual([
      'background',
      'center',
      'color',
      'coverage',
      'loss',
      'shape',
    ]);
    expect(JSON.parse(readFileSync(join(first.visionDir, DEMO_BUILD_FILE), 'utf8'))).toMatchObject({
      kind: 'tiny-clip-vision',
      pretrain: opts.visionPretrain,
      visionPretrain: first.visionPretrain,
    });
    expect(first.warmUp.steps).toBe(12);
    expect(first.warmUp.lossAfter).toBeLessThan(first.warmUp.lossBefore * 0.8);
    const clip = await ClipVisionModel.load(first.visionDir);
    expect(clip.config.hiddenSize).toBe(32);
    clip.dispose();
    const tok = await loadTokenizer(first.llmDir);
    const lm = await loadQwen3(first.llmDir);
    expect(lm.config.vocabSize).toBe(tok.vocabSize);
    expect(lm.config.eosTokenIds).toEqual([tok.eosTokenId]);
    expect(lm.config.tieWordEmbeddings).toBe(true);
    lm.dispose();
    // Every caption the synthetic dataset can write (val included) encodes and round-trips.
    for (const c of [...plan.map((s) => s.caption), ...allSynthCaptions().slice(0, 200)])
      expect(tok.decode(tok.encode(c))).toBe(c);
    expect(JSON.parse(readFileSync(join(first.llmDir, DEMO_BUILD_FILE), 'utf8'))).toMatchObject({
      kind: 'tiny-qwen3',
      warmUp: first.warmUp,
    });
  });

  it('reuses the folders for the same inputs and builds new ones when an input changes', async () => {
    const again = await buildDemoModels(out, opts);
    expect(again).toEqual({ ...first, reused: true });
    const other = await buildDemoModels(out, { ...opts, warmUp: { ...opts.warmUp!, steps: 2 } });
    expect(other.reused).toBe(false);
    expect(other.visionDir).toBe(first.visionDir);
    expect(other.llmDir).not.toBe(first.llmDir);
    expect(readdirSync(out).filter((d) => d.includes('.tmp-'))).toEqual([]);
    expect(existsSync(join(other.llmDir, DEMO_BUILD_FILE))).toBe(true);
    // The pretraining settings key the vision folder only; `false` keeps the tower random.
    const random = await buildDemoModels(out, { ...opts, visionPretrain: false });
    expect(random.visionDir).not.toBe(first.visionDir);
    expect(random.llmDir).toBe(first.llmDir);
    expect(random.visionPretrain).toBeNull();
    const randomAgain = await buildDemoModels(out, { ...opts, visionPretrain: false });
    expect(randomAgain).toEqual({ ...random, reused: true });
  });

  it('warm-up contexts must parallel the captions', async () => {
    await expect(buildDemoModels(out, { ...opts, contexts: ['x'] })).rejects.toThrow(RangeError);
  });
});
