/**
 * `kvc demo [--out DIR] [--backend B] [--fresh] [--json] [key=value ...]`: the whole pipeline on a
 * laptop with nothing downloaded — a synthetic Korean-captioned video dataset, tiny models in the
 * real architectures (a CLIP-shaped tower pretrained on separate labelled synthetic frames; a
 * Qwen3 on the real Qwen3 tokenizer, warmed up on the caption language; both once and cached),
 * feature caching, stage 1, stage 2 with per-epoch evaluation, the final evaluation of the best
 * checkpoint and the HTML report. Running it again reuses the
 * data, the models, the cache and the finished run (and says so) unless --fresh.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import type { Command } from 'commander';
import { synthDataset } from '@kvc/video-io';
import type { SynthAttributes } from '@kvc/video-io';
import { corpusMeteor, writeRunReport } from '@kvc/eval';
import type { CaptionRecord } from '@kvc/eval';
import type { ActionRunner, CommandModule } from '../command.js';
import { loadRunConfig } from '../config/load-config.js';
import { PRECISION_FLAG, initRunBackend, modelFlagOverrides } from '../config/precision-flag.js';
import { presets } from '../config/presets.js';
import { formatMetrics, runTrainPipeline } from '../pipeline/train-pipeline.js';
import { readSplit } from '../pipeline/read-split.js';
import { buildDemoModels } from '../demo/build-demo-models.js';
import { synthWarmUpContexts } from '../demo/synth-caption-corpus.js';
import { demoAttributeAccuracy } from '../demo/demo-attribute-accuracy.js';
import { demoSize } from '../demo/demo-settings.js';
import type { DemoData } from '../demo/demo-settings.js';
import { abortOnSigint } from './train.js';
import type { Output } from '../output.js';
import { CliError } from '../cli-error.js';

interface DemoOptions {
  out?: string;
  backend?: string;
  precision?: string;
  fresh?: boolean;
  json?: boolean;
}

async function ensureDataset(root: string, data: DemoData, out: Output): Promise<void> {
  const marker = join(root, 'synth.json');
  const want = { train: data.train, val: data.val, seed: data.seed };
  if (existsSync(marker)) {
    const have = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>;
    if (have.train === want.train && have.val === want.val && have.seed === want.seed) {
      out.info(`reusing the synthetic dataset in ${root}`);
      return;
    }
    await rm(root, { recursive: true, force: true });
  }
  const bar = out.progress('synthetic videos', want.train + want.val);
  await lastValueFrom(synthDataset({ out: root, ...want }).pipe(tap(() => bar.tick(1))), { defaultValue: undefined });
  bar.done();
}

function attributesOf(record: Readonly<Record<string, unknown>> | undefined): SynthAttributes | undefined {
  const a = record?.attributes as SynthAttributes | undefined;
  return a && typeof a.color === 'string' ? a : undefined;
}

export const demoCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('demo')
      .description(
        'the whole pipeline on synthetic videos with tiny models: train, evaluate, report (minutes on a CPU)',
      )
      .argument('[overrides...]', 'config overrides as key=value (on top of the demo preset)')
      .option('--out <dir>', 'where the demo writes everything', '.kvc-demo')
      .option('--backend <name>', 'auto | webgpu | tensorflow | wasm | cpu', 'auto')
      .option(...PRECISION_FLAG)
      .option('--fresh', 'start over: remove the previous demo run and feature cache')
      .option('--json', 'JSON events on stdout (the result last)')
      .action(
        runner<DemoOptions>('demo', async (out, opts, overrides) => {
          const started = performance.now();
          const root = resolve(opts.out ?? '.kvc-demo');
          const runDir = join(root, 'run');
          const dataRoot = join(root, 'data');
          const modelsDir = join(root, 'models');
          // The demo's own keys: the model folders are only known once built, so they are placeholders when
          // the user's overrides are checked, before anything is built or removed (a typo fails in a second).
          const demoOverrides = (models: { visionDir: string; llmDir: string }): string[] => [
            ...overrides,
            `data.root=${dataRoot}`,
            `vision.model=${models.visionDir}`,
            `llm.model=${models.llmDir}`,
            `features.cacheDir=${join(root, 'cache')}`,
            ...modelFlagOverrides({ ...opts, backend: opts.backend ?? 'auto' }),
          ];
          const checked = loadRunConfig({
            preset: 'demo',
            overrides: demoOverrides({ visionDir: modelsDir, llmDir: modelsDir }),
          });
          // KVC_DEMO_SIZE shrinks the dataset, the warm-up and the tiny CLIP's pretraining (the
          // end-to-end test's reduced demo).
          const size = (() => {
            try {
              return demoSize();
            } catch (err) {
              throw new CliError(
                'E_DEMO_SIZE',
                (err as Error).message,
                { KVC_DEMO_SIZE: process.env.KVC_DEMO_SIZE ?? '' },
                'unset KVC_DEMO_SIZE for the full demo',
              );
            }
          })();
          if (opts.fresh) {
            out.info(`--fresh: removing ${runDir} and the feature cache`);
            await rm(runDir, { recursive: true, force: true });
            await rm(join(root, 'cache'), { recursive: true, force: true });
          }
          await ensureDataset(dataRoot, size.data, out);
          // The LM warm-up trains before the pipeline starts: pick the backend now.
          const choice = await initRunBackend(checked, 'training');
          out.info(`backend ${choice.backend} (${choice.reason})`);

          // Models: the warm-up reads the training captions (the caption language), never the videos.
          const trainSplit = await readSplit(dataRoot, 'train', 0, out);
          const valSplit = await readSplit(dataRoot, 'val', 0, out);
          const prompt = presets.demo.prompt;
          // One bar per build phase: the tiny CLIP's pretraining, then the LM warm-up.
          let active: { phase: string; bar: ReturnType<typeof out.progress> } | undefined;
          const barOf = (phase: string) => {
            if (active?.phase !== phase) {
              active?.bar.done();
              active = {
                phase,
                bar: out.progress(
                  phase === 'vision-pretrain'
                    ? 'tiny CLIP pretraining (shapes, colors, positions)'
                    : 'LM warm-up (caption language)',
                  0,
                ),
              };
            }
            return active.bar;
          };
          const models = await buildDemoModels(modelsDir, {
            captions: trainSplit.samples.map((s) => s.caption),
            // Another phrasing of the same facts before each caption: the warmed-up LM learns to
            // say what its context shows, which the vision prefix then relies on.
            contexts: synthWarmUpContexts(
              trainSplit.samples.map((s) => attributesOf(s.record)!),
              size.data.seed,
            ),
            prompt,
            seed: size.data.seed,
            warmUp: size.warmUp,
            visionPretrain: size.visionPretrain,
            onProgress: (e) => {
              const b = barOf(e.phase);
              b.setTotal(e.steps);
              b.tick(1, `loss ${e.loss.toFixed(3)}`);
            },
          });
          (active as { bar: ReturnType<typeof out.progress> } | undefined)?.bar.done();
          const vp = models.visionPretrain;
          const vpText = vp
            ? `; tiny CLIP pretraining held-out shape ${pct(vp.before.shape)} → ${pct(vp.after.shape)}, color ${pct(vp.before.color)} → ${pct(vp.after.color)} in ${vp.seconds.toFixed(0)} s`
            : '';
          out.info(
            models.reused
              ? `reusing the tiny models in ${root}/models`
              : `built tiny models (warm-up loss ${models.warmUp.lossBefore.toFixed(2)} → ${models.warmUp.lossAfter.toFixed(2)} in ${models.warmUp.seconds.toFixed(0)} s${vpText})`,
          );
          out.event('demo-models', { ...models });

          const config = loadRunConfig({ preset: 'demo', overrides: demoOverrides(models) });
          const labels = new Map(valSplit.samples.map((s) => [s.id, attributesOf(s.record)]));
          const extraMetrics = (records: readonly CaptionRecord[]): Record<string, number> => {
            const withLabels = records.filter((r) => labels.get(r.id));
            const acc = demoAttributeAccuracy(
              withLabels.map((r) => r.prediction),
              withLabels.map((r) => labels.get(r.id)!),
            );
            return {
              attribute_accuracy: acc.all3,
              color_accuracy: acc.color,
              shape_accuracy: acc.shape,
              direction_accuracy: acc.direction,
              background_accuracy: acc.background,
            };
          };
          const sig = abortOnSigint(() =>
            out.info('stopping after the current step (run the demo again to continue)...'),
          );
          let result;
          try {
            result = await runTrainPipeline({ config, runDir, resume: true, out, signal: sig.signal, extraMetrics });
          } finally {
            sig.dispose();
          }
          if (result.status === 'stopped') {
            out.result(
              { type: 'result', command: 'demo', ...result },
              `stopped; run \`npx kvc demo${opts.out ? ` --out ${opts.out}` : ''}\` again to continue`,
            );
            return 0;
          }
          // A constant caption (the most common training caption for every video) is the baseline.
          const counts = new Map<string, number>();
          for (const s of trainSplit.samples) counts.set(s.caption, (counts.get(s.caption) ?? 0) + 1);
          const constant = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
          const baseline = corpusMeteor(
            valSplit.samples.map(() => constant),
            valSplit.samples.map((s) => s.caption),
          ).meteor;
          const report = await writeRunReport(runDir, { videoRoots: [join(dataRoot, 'val', 'videos')] });
          const m = result.metrics;
          const seconds = (performance.now() - started) / 1000;
          const lines = [
            result.status === 'skipped'
              ? 'the demo run had already finished: showing its results (--fresh to train again)'
              : `demo finished in ${(seconds / 60).toFixed(1)} min`,
            `  attributes right (color, shape and direction): ${pct(m.attribute_accuracy)} of ${m.count ?? '?'} validation videos (color ${pct(m.color_accuracy)}, shape ${pct(m.shape_accuracy)}, direction ${pct(m.direction_accuracy)})`,
            `  METEOR ${fmt(m.meteor)} (constant-caption baseline ${baseline.toFixed(3)})  diversity ${fmt(m.diversity)}  ended with EOS ${pct(m.eos_rate)}`,
            `  ${formatMetrics(m)}`,
            `report: ${report}`,
          ];
          out.result(
            {
              type: 'result',
              command: 'demo',
              status: result.status,
              runDir,
              report,
              metrics: m,
              meteorConstantBaseline: baseline,
              seconds,
            },
            lines.join('\n'),
          );
          return 0;
        }),
      );
  },
};

const pct = (x: number | undefined): string => (x === undefined ? '?' : `${(100 * x).toFixed(0)}%`);
const fmt = (x: number | undefined): string => (x === undefined ? '?' : x.toFixed(3));
