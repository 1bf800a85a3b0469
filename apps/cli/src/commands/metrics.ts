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
  SEED_SIGLIP_MODEL,
  SiglipScorer,
  evaluateCaptions,
  flattenAggregate,
  readPredictionsFile,
  writeEvalOutputs,
  type MetricsEvent,
  type PureMetricName,
  type Scorer,
} from '@kvc/eval';
import { initBackend, type BackendName } from '@kvc/models';
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
  out?: string;
  json?: boolean;
}

/** CLI metric names → what computes them. */
const PURE: Readonly<Record<string, PureMetricName>> = { meteor: 'meteor', bleu: 'bleu', rouge: 'rouge-l', cider: 'cider-d', diversity: 'diversity' };
const MODEL = ['bertscore', 'siglip'] as const;
export const METRIC_CHOICES = [...Object.keys(PURE), ...MODEL];
export const DEFAULT_METRICS = 'meteor,bertscore,bleu,rouge,cider,diversity';

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliError('E_BAD_ARGUMENT', `${name} must be a positive integer`, { [name]: v });
  }
  return n;
}

/** The human-readable table. */
export function formatMetricsTable(file: string, flat: Readonly<Record<string, number>>, skipped: number): string {
  const w = Math.max(...Object.keys(flat).map((k) => k.length));
  const fmt = (k: string, v: number) => (Number.isInteger(v) && !/^(meteor|bleu|rouge|cider|bertscore|siglip)/.test(k) ? String(v) : v.toFixed(4));
  const lines = [`metrics of ${file}: ${flat.count ?? 0} predictions (${flat.empty_predictions ?? 0} empty), ${skipped} line(s) skipped`];
  for (const [k, v] of Object.entries(flat)) if (k !== 'count' && k !== 'empty_predictions') lines.push(`  ${k.padEnd(w)}  ${fmt(k, v)}`);
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
      .description('score a predictions JSONL file: METEOR, BERTScore, SigLIP2 score, CIDEr-D, BLEU, ROUGE-L, diversity')
      .requiredOption('--predictions <file>', 'JSONL, one {"prediction", "reference", "video"?, "id"?} object a line')
      .option('--metrics <list>', `comma-separated: ${METRIC_CHOICES.join(',')}`, DEFAULT_METRICS)
      .option('--bert-model <model>', 'BERTScore model: local folder or cached hub id', BERTSCORE_KO_MODEL)
      .option('--bert-layer <n>', 'BERTScore hidden layer (default: bert_score\'s for the model, 9 for mBERT)')
      .option('--siglip-model <model>', 'SigLIP2 model: local folder or cached hub id', SEED_SIGLIP_MODEL)
      .option('--siglip-padding <mode>', 'max_length (the model card: 64 tokens) or longest (the seed\'s padding=True)', 'max_length')
      .option('--data <dir>', 'folder the predictions\' video paths are relative to (SigLIP)')
      .option('--frames <n>', 'frames sampled per video for SigLIP', '8')
      .option('--batch-size <n>', 'captions per model batch (64 = bert_score\'s)', '64')
      .option('--backend <name>', 'tensor backend: auto|webgpu|tensorflow|wasm|cpu', 'auto')
      .option('--out <dir>', 'write predictions.jsonl (per-sample metrics) and metrics.json here')
      .option('--json', 'print JSON lines (skipped lines, progress, the result last)')
      .action(
        runner<MetricsOptions>('metrics', async (out, opts) => {
          const names = [...new Set(opts.metrics.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
          const unknown = names.filter((n) => !METRIC_CHOICES.includes(n));
          if (unknown.length || names.length === 0) throw new CliError('E_METRICS_UNKNOWN', `unknown metric ${unknown.join(', ') || '(none given)'}`, { known: METRIC_CHOICES.join(',') });
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
            throw new CliError('E_NO_PREDICTIONS', 'no usable prediction lines', { file: parsed.file, skipped: parsed.issues.length }, 'each line needs a JSON object with string "prediction" and "reference"');
          }

          const scorers: Scorer[] = [];
          if (names.includes('bertscore')) scorers.push(new BertScorer({ model: opts.bertModel ?? BERTSCORE_KO_MODEL, ...(layer === undefined ? {} : { layer }), batchSize }));
          if (names.includes('siglip')) {
            scorers.push(new SiglipScorer({ model: opts.siglipModel ?? SEED_SIGLIP_MODEL, padding: opts.siglipPadding as 'max_length' | 'longest', decode: { ...(opts.data ? { dataDir: opts.data } : {}), numFrames: positiveInt('frames', opts.frames) } }));
          }
          if (scorers.length) {
            const b = await initBackend(opts.backend as BackendName);
            out.info(`backend ${b.backend} (${b.reason}); loading ${scorers.map((s) => s.name).join(', ')}`);
          }
          const pure = names.filter((n) => n in PURE).map((n) => PURE[n]!);
          const bar = scorers.length ? out.progress(`scoring ${scorers.map((s) => s.name).join('+')}`, parsed.records.length) : undefined;
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
          const files = opts.out ? await writeEvalOutputs(opts.out, result!, { predictions_file: parsed.file, skipped_lines: parsed.issues.length }) : undefined;
          out.result(
            { type: 'metrics', file: parsed.file, metrics: flat, skipped: parsed.issues, ...(files ? { files } : {}) },
            formatMetricsTable(opts.predictions, flat, parsed.issues.length) + (files ? `\nwrote ${files.predictions} and ${files.metrics}` : ''),
          );
          return 0;
        }),
      );
  },
};
