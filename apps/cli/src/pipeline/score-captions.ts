/**
 * Scores generated captions with the metrics the config names: pure metrics (METEOR, BLEU,
 * ROUGE-L, CIDEr-D, diversity) always work offline; SigLIP2 and BERTScore need their models in a
 * local folder or the HF cache — when one is missing the metric is dropped with a warning
 * rather than failing a training run. Writes predictions.jsonl + metrics.json into `dir`.
 */
import { lastValueFrom, from, filter } from 'rxjs';
import { BertScorer, SiglipScorer, evaluateCaptions, flattenAggregate, resolveLegacyModelDir, writeEvalOutputs } from '@kvc/eval';
import type { CaptionRecord, MetricsEvent, PureMetricName, Scorer } from '@kvc/eval';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';

const PURE: Readonly<Record<string, PureMetricName>> = { meteor: 'meteor', bleu: 'bleu', rouge: 'rouge-l', cider: 'cider-d', diversity: 'diversity' };

export interface ScoreResult {
  readonly metrics: Record<string, number>;
  readonly files: { predictions: string; metrics: string };
}

export async function scoreCaptions(args: {
  readonly records: readonly CaptionRecord[];
  readonly config: RunConfig;
  readonly dir: string;
  readonly out: Output;
  /** Extra aggregate metrics computed from the records (e.g. the demo's attribute accuracy). */
  readonly extraMetrics?: (records: readonly CaptionRecord[]) => Record<string, number>;
  readonly dataRoot?: string;
}): Promise<ScoreResult> {
  const { config, out } = args;
  const names = config.eval.metrics;
  const pure = names.flatMap((n) => (PURE[n] ? [PURE[n]] : []));
  // diversity also feeds the mode-collapse warning: always computed.
  if (!pure.includes('diversity')) pure.push('diversity');
  const scorers: Scorer[] = [];
  if (names.includes('siglip') && (await available(config.eval.siglipModel, 'siglip', out))) {
    scorers.push(new SiglipScorer({ model: config.eval.siglipModel, padding: config.eval.siglipPadding, decode: { numFrames: config.vision.frames, ...(args.dataRoot ? { dataDir: args.dataRoot } : {}) } }));
  }
  if (names.includes('bertscore') && (await available(config.eval.bertModel, 'bertscore', out))) {
    scorers.push(new BertScorer({ model: config.eval.bertModel, layer: config.eval.bertLayer }));
  }
  const last = (await lastValueFrom(
    from(args.records).pipe(
      evaluateCaptions({ scorers, pureMetrics: pure, total: args.records.length }),
      filter((e) => e.type === 'metrics'),
    ),
  )) as MetricsEvent;
  const flat = flattenAggregate(last.aggregate);
  // `diversity` is the seed's name for unique/total (training_log.csv, the report, the warning).
  const extra: Record<string, number> = { ...(flat.unique_ratio !== undefined ? { diversity: flat.unique_ratio } : {}), ...(args.extraMetrics ? args.extraMetrics(args.records) : {}) };
  const files = await writeEvalOutputs(args.dir, last, extra);
  return { metrics: { ...flat, ...extra }, files };
}

const warned = new Set<string>();

async function available(model: string, metric: string, out: Output): Promise<boolean> {
  try {
    // Also finds legacy hub ids without an organisation (bert-base-multilingual-cased).
    await resolveLegacyModelDir(model);
    return true;
  } catch (err) {
    if (!warned.has(metric)) {
      warned.add(metric);
      out.warn(`${metric} skipped: ${(err as Error).message} (set eval.metrics without ${metric}, or make ${model} available locally)`);
    }
    return false;
  }
}
