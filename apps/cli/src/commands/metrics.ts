/**
 * `kvc metrics --predictions FILE.jsonl [--metrics ...] [--bert-model M] [--bert-layer L]
 * [--siglip-model M --data DIR] [--out DIR] [--json]`: scores any predictions file (one
 * {"prediction", "reference", "video"?, "id"?} object a line). Bad lines are reported with their
 * line number and skipped; empty predictions are scored and counted. Prints a metrics table, or
 * JSON lines (skipped lines, progress, the result last); with --out writes predictions.jsonl
 * (per-sample metrics) and metrics.json. Models are local folders or hub ids already in the
 * Hugging Face cache; nothing is downloaded.
 */
import type { Command } from 'commander';
import { lastValueFrom, from, tap } from 'rxjs';
import {
  BERTSCORE_KO_MODEL,
  BertScorer,
  METRIC_CHOICES,
  SEED_SIGLIP_MODEL,
  SiglipScorer,
  evaluateCaptions,
  flattenAggregate,
  formatMetric,
  metricFamilies,
  readPredictionsFile,
  sortMetrics,
  writeEvalOutputs,
  type MetricsEvent,
  type Scorer,
} from '@kvc/eval';
import type { BackendName, Precision } from '@kvc/models';
import { PRECISION_FLAG, initRunBackend } from '../config/precision-flag.js';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';

interface MetricsOptions {
  predictions: string;
  metrics: string;
  bertModel?: string;
  bertLayer?: string;
  siglipModel?: string;
  siglipPadding: string;
  data?: string;
  frames: string;
  batchSize: string;
  backend: string;
  precision: string;
  out?: string;
  json?: boolean;
}

export const DEFAULT_METRICS = 'meteor,bertscore,bleu,rouge,cider,diversity';

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliError('E_BAD_ARGUMENT', `${name} must be a positive integer`, { [name]: v });
  }
  return n;
}

/** The human-readable table, in the metric registry's order. */
export function formatMetricsTable(file: string, flat: Readonly<Record<string, number>>, skipped: number): string {
  const w = Math.max(...Object.keys(flat).map((k) => k.length));
  const counts = `${flat.count ?? 0} predictions (${flat.empty_predictions ?? 0} empty), ${skipped} line(s) skipped`;
  const lines = [`metrics of ${file}: ${counts}`];
  for (const k of sortMetrics(Object.keys(flat))) {
    if (k === 'count' || k === 'empty_predictions') continue;
    lines.push(`  ${k.padEnd(w)}  ${formatMetric(k, flat[k]!, 'table')}`);
  }
  return lines.join('\n');
}

/** A scorer that could not load its model: add how to point at one or to leave the metric out. */
function withModelHint(err: unknown): unknown {
  const e = err as { code?: unknown; message?: string; context?: Record<string, unknown>; hint?: string };
  if (e?.code !== 'E_SCORER' || e.context?.stage !== 'init') return err;
  const scorer = String(e.context.scorer);
  const flag = scorer === 'bertscore' ? '--bert-model' : '--siglip-model';
  const more = `pass a local model folder with ${flag}, or leave ${scorer} out of --metrics`;
  return new CliError('E_SCORER', e.message ?? String(err), { ...e.context }, e.hint ? `${e.hint}; or ${more}` : more);
}

export const metricsCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('metrics')
      .description(
        'score a predictions JSONL file: METEOR, BERTScore, SigLIP2 score, CIDEr-D, BLEU, ROUGE-L, diversity',
      )
      .requiredOption('--predictions <file>', 'JSONL, one {"prediction", "reference", "video"?, "id"?} object a line')
      .option('--metrics <list>', `comma-separated: ${METRIC_CHOICES.join(',')}`, DEFAULT_METRICS)
      .option('--bert-model <model>', 'BERTScore model: local folder or cached hub id', BERTSCORE_KO_MODEL)
      .option('--bert-layer <n>', "BERTScore hidden layer (default: bert_score's for the model, 9 for mBERT)")
      .option('--siglip-model <model>', 'SigLIP2 model: local folder or cached hub id', SEED_SIGLIP_MODEL)
      .option(
        '--siglip-padding <mode>',
        "max_length (the model card: 64 tokens) or longest (the seed's padding=True)",
        'max_length',
      )
      .option('--data <dir>', "folder the predictions' video paths are relative to (SigLIP)")
      .option('--frames <n>', 'frames sampled per video for SigLIP', '8')
      .option('--batch-size <n>', "captions per model batch (64 = bert_score's)", '64')
      .option('--backend <name>', 'tensor backend: auto|webgpu|tensorflow|wasm|cpu', 'auto')
      .option(PRECISION_FLAG[0], PRECISION_FLAG[1].replace(' (config key precision)', ''), 'f32')
      .option('--out <dir>', 'write predictions.jsonl (per-sample metrics) and metrics.json here')
      .option('--json', 'print JSON lines (skipped lines, progress, the result last)')
      .action(
        runner<MetricsOptions>('metrics', async (out, opts) => {
          const names = [
            ...new Set(
              opts.metrics
                .split(',')
                .map((s) => s.trim().toLowerCase())
                .filter(Boolean),
            ),
          ];
          // Names go through the metric registry: `cider` and `cider_d` both select CIDEr-D.
          const { families, unknown } = metricFamilies(names);
          if (unknown.length || names.length === 0) {
            const what = unknown.join(', ') || '(none given)';
            throw new CliError('E_METRICS_UNKNOWN', `unknown metric ${what}`, { known: METRIC_CHOICES.join(',') });
          }
          if (!['f32', 'f16'].includes(opts.precision)) {
            const { precision } = opts;
            throw new CliError('E_BAD_ARGUMENT', `unknown precision ${precision}`, { precision }, 'use f32 or f16');
          }
          if (!['max_length', 'longest'].includes(opts.siglipPadding)) {
            const value = opts.siglipPadding;
            throw new CliError('E_BAD_ARGUMENT', '--siglip-padding must be max_length or longest', { value });
          }
          const batchSize = positiveInt('batch-size', opts.batchSize);
          const layer = opts.bertLayer === undefined ? undefined : Number(opts.bertLayer);
          if (layer !== undefined && (!Number.isInteger(layer) || layer < 0)) {
            const value = opts.bertLayer;
            throw new CliError('E_BAD_ARGUMENT', '--bert-layer must be a non-negative integer', { value });
          }

          const parsed = await readPredictionsFile(opts.predictions);
          for (const issue of parsed.issues) {
            out.event('skipped-line', { file: parsed.file, ...issue });
            if (!out.json) out.info(`warning: ${opts.predictions}:${issue.line}: ${issue.reason} (line skipped)`);
          }
          if (parsed.records.length === 0) {
            throw new CliError(
              'E_NO_PREDICTIONS',
              'no usable prediction lines',
              { file: parsed.file, skipped: parsed.issues.length },
              'each line needs a JSON object with string "prediction" and "reference"',
            );
          }

          const scorers: Scorer[] = [];
          const precision = opts.precision as Precision;
          if (families.includes('bertscore')) {
            const bertLayer = layer === undefined ? {} : { layer };
            const model = opts.bertModel ?? BERTSCORE_KO_MODEL;
            scorers.push(new BertScorer({ model, ...bertLayer, batchSize, precision }));
          }
          if (families.includes('siglip')) {
            scorers.push(
              new SiglipScorer({
                model: opts.siglipModel ?? SEED_SIGLIP_MODEL,
                padding: opts.siglipPadding as 'max_length' | 'longest',
                precision,
                decode: { ...(opts.data ? { dataDir: opts.data } : {}), numFrames: positiveInt('frames', opts.frames) },
              }),
            );
          }
          if (scorers.length) {
            const b = await initRunBackend({ backend: opts.backend as BackendName, precision }, 'inference');
            out.info(`backend ${b.backend} (${b.reason}); loading ${scorers.map((s) => s.name).join(', ')}`);
          }
          const pure = families.filter((f) => f !== 'bertscore' && f !== 'siglip');
          const bar = scorers.length
            ? out.progress(`scoring ${scorers.map((s) => s.name).join('+')}`, parsed.records.length)
            : undefined;
          let result: MetricsEvent | undefined;
          let done = 0;
          try {
            await lastValueFrom(
              from(parsed.records).pipe(
                evaluateCaptions({ scorers, pureMetrics: pure, batchSize, total: parsed.records.length }),
                tap((e) => {
                  if (e.type === 'progress') {
                    bar?.tick(e.done - done);
                    done = e.done;
                  }
                  if (e.type === 'metrics') result = e;
                }),
              ),
            );
          } catch (err) {
            throw withModelHint(err);
          } finally {
            bar?.done();
          }
          const flat = flattenAggregate(result!.aggregate);
          const files = opts.out
            ? await writeEvalOutputs(opts.out, result!, {
                predictions_file: parsed.file,
                skipped_lines: parsed.issues.length,
              })
            : undefined;
          out.result(
            { type: 'metrics', file: parsed.file, metrics: flat, skipped: parsed.issues, ...(files ? { files } : {}) },
            formatMetricsTable(opts.predictions, flat, parsed.issues.length) +
              (files ? `\nwrote ${files.predictions} and ${files.metrics}` : ''),
          );
          return 0;
        }),
      );
  },
};
