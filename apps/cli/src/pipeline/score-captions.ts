/**
 * Scores generated captions with the metrics the config names (resolved through the metric
 * registry of @kvc/eval): pure metrics (METEOR, BLEU, ROUGE-L, CIDEr-D, diversity) always work
 * offline; SigLIP2 and BERTScore need their models in a local folder or the HF cache — when one
 * is missing the metric is dropped with a warning rather than failing a training run. Writes
 * predictions.jsonl + metrics.json into `dir`.
 */
import { lastValueFrom, from, filter, tap } from 'rxjs';
import { evaluateCaptions, flattenAggregate, metricFamilies, writeEvalOutputs } from '@kvc/eval';
import type { CaptionRecord, EvalTimings, MetricsEvent, PureMetricName } from '@kvc/eval';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';
import { ModelScorers } from './model-scorers.js';

export interface ScoreResult {
  readonly metrics: Record<string, number>;
  readonly files: { predictions: string; metrics: string };
}

/** The pure metrics `names` select; diversity always (it feeds the low-diversity warning). */
export function pureMetricsOf(names: readonly string[]): PureMetricName[] {
  const pure = metricFamilies(names).families.filter((f): f is PureMetricName => f !== 'bertscore' && f !== 'siglip');
  return pure.includes('diversity') ? pure : [...pure, 'diversity'];
}

/** Where the scoring's time went: one line for people, an `eval-timings` event with --json. */
function reportTimings(out: Output, t: EvalTimings): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const parts = Object.entries(t.scorers).map(([name, x]) => `${name} ${s(x.scoreMs)} (load ${s(x.loadMs)})`);
  out.info(`scoring took: ${[...parts, `pure metrics ${s(t.pureMs)}`].join(', ')}`);
  out.event('eval-timings', { scorers: t.scorers, pureMs: t.pureMs });
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
  // One evaluation alone loads its models and lets them go; a run passes its own to keep them.
  const own = args.scorers ? undefined : new ModelScorers(config, out, args.dataRoot);
  const scorers = await (args.scorers ?? own!).forEvaluation();
  let last: MetricsEvent;
  const bar = out.progress('scoring captions', args.records.length);
  let scored = 0;
  try {
    last = (await lastValueFrom(
      from(args.records).pipe(
        evaluateCaptions({ scorers, pureMetrics: pureMetricsOf(config.eval.metrics), total: args.records.length }),
        tap((e) => {
          if (e.type !== 'progress') return;
          bar.tick(e.done - scored);
          scored = e.done;
        }),
        filter((e) => e.type === 'metrics'),
      ),
    )) as MetricsEvent;
  } finally {
    bar.done();
    await own?.dispose();
  }
  if (last.timings) reportTimings(out, last.timings);
  const extra = args.extraMetrics ? args.extraMetrics(args.records) : {};
  const files = await writeEvalOutputs(args.dir, last, extra);
  return { metrics: { ...flattenAggregate(last.aggregate), ...extra }, files };
}
