/**
 * Scores generated captions with the metrics the config names: pure metrics (METEOR, BLEU,
 * ROUGE-L, CIDEr-D, diversity) always work offline; SigLIP2 and BERTScore need their models in a
 * local folder or the HF cache — when one is missing the metric is dropped with a warning
 * rather than failing a training run. Writes predictions.jsonl + metrics.json into `dir`.
 */
import { lastValueFrom, from, filter } from 'rxjs';
import { evaluateCaptions, flattenAggregate, writeEvalOutputs } from '@kvc/eval';
import type { CaptionRecord, MetricsEvent, PureMetricName } from '@kvc/eval';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';
import { ModelScorers } from './model-scorers.js';

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
  /** Scorers kept loaded across evaluations (a training run's); default: loaded for this call only. */
  readonly scorers?: ModelScorers;
}): Promise<ScoreResult> {
  const { config, out } = args;
  const names = config.eval.metrics;
  const pure = names.flatMap((n) => (PURE[n] ? [PURE[n]] : []));
  // diversity also feeds the mode-collapse warning: always computed.
  if (!pure.includes('diversity')) pure.push('diversity');
  // One evaluation alone loads its models and lets them go; a run passes its own to keep them.
  const own = args.scorers ? undefined : new ModelScorers(config, out, args.dataRoot);
  const scorers = await (args.scorers ?? own!).forEvaluation();
  let last: MetricsEvent;
  try {
    last = (await lastValueFrom(
      from(args.records).pipe(
        evaluateCaptions({ scorers, pureMetrics: pure, total: args.records.length }),
        filter((e) => e.type === 'metrics'),
      ),
    )) as MetricsEvent;
  } finally {
    await own?.dispose();
  }
  const flat = flattenAggregate(last.aggregate);
  // `diversity` is the seed's name for unique/total (training_log.csv, the report, the warning).
  const extra: Record<string, number> = { ...(flat.unique_ratio !== undefined ? { diversity: flat.unique_ratio } : {}), ...(args.extraMetrics ? args.extraMetrics(args.records) : {}) };
  const files = await writeEvalOutputs(args.dir, last, extra);
  return { metrics: { ...flat, ...extra }, files };
}
