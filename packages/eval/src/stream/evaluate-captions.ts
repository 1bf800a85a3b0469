/**
 * The evaluation stream: captions in, typed events out. Model-based scorers are loaded once when
 * the stream is subscribed, then fed batches of captions as the source emits them (a source that
 * emits while it generates gets its captions scored in between; the CLI generates a whole split
 * first and passes an array); pure metrics are corpus-level, so they run once the captions complete.
 * Scorers are disposed on completion, error and unsubscribe. Every failure goes down the stream
 * as an error with the scorer, the stage and the sample ids in its context.
 */
import {
  type Observable,
  type OperatorFunction,
  bufferCount,
  concatMap,
  concatWith,
  defer,
  finalize,
  from,
  of,
} from 'rxjs';
import { MetricInputError } from '../errors.js';
import {
  PURE_METRIC_NAMES,
  type PureMetricName,
  type PureMetricsOptions,
  computePureMetrics,
} from '../metrics/compute-pure-metrics.js';
import { METRICS } from '../metrics/metric-registry.js';
import type { CaptionRecord } from '../predictions/caption-record.js';
import type { EvalEvent, EvalTimings, MetricsEvent, SampleResult } from './eval-events.js';
import { ScorerError } from './evaluation-errors.js';
import type { SampleScores, Scorer } from './scorer.js';

/** Options of {@link evaluateCaptions}. */
export interface EvaluateCaptionsOptions {
  /** Model-based scorers (each loaded once, fed batches). */
  readonly scorers?: readonly Scorer[];
  /** Pure metrics computed at the end (default all of them). */
  readonly pureMetrics?: readonly PureMetricName[];
  readonly pureOptions?: PureMetricsOptions;
  /** Captions per scorer batch (default 16). */
  readonly batchSize?: number;
  /** Number of captions expected, for progress events. */
  readonly total?: number;
}

/** The per-sample pure metrics written to predictions.jsonl, by their registry keys. */
const PURE_SAMPLE_METRICS = METRICS.filter((m) => m.sampleField !== undefined);

function scorerFailure(scorer: Scorer, stage: 'init' | 'score', err: unknown, ids?: readonly string[]): ScorerError {
  const e = err as { message?: unknown; code?: unknown; context?: unknown; hint?: unknown };
  const ctx: Record<string, unknown> = {
    scorer: scorer.name,
    stage,
    reason: typeof e?.message === 'string' ? e.message : String(err),
  };
  if (typeof e?.code === 'string') ctx.cause = e.code;
  if (e?.context && typeof e.context === 'object') Object.assign(ctx, e.context, { scorer: scorer.name, stage });
  if (ids) ctx.ids = ids.length > 8 ? [...ids.slice(0, 8), `... ${ids.length - 8} more`] : ids;
  const what = stage === 'init' ? 'could not load' : 'failed on a batch';
  return new ScorerError(
    `${scorer.name} ${what}: ${String(ctx.reason)}`,
    ctx,
    typeof e?.hint === 'string' ? e.hint : undefined,
    { cause: err },
  );
}

/** Score captions: an operator from {@link CaptionRecord}s to {@link EvalEvent}s (the `metrics` event last). */
export function evaluateCaptions(options: EvaluateCaptionsOptions = {}): OperatorFunction<CaptionRecord, EvalEvent> {
  const scorers = options.scorers ?? [];
  const pureNames = options.pureMetrics ?? PURE_METRIC_NAMES;
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new MetricInputError('batchSize must be a positive integer', { batchSize });
  const unknown = pureNames.filter((n) => !(PURE_METRIC_NAMES as readonly string[]).includes(n));
  if (unknown.length)
    throw new MetricInputError(`unknown metric ${unknown.join(', ')}`, {
      unknown,
      known: PURE_METRIC_NAMES.join(', '),
    });
  const names = scorers.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new MetricInputError('two scorers share a name', { scorers: names });

  return (source: Observable<CaptionRecord>) =>
    defer(() => {
      const samples: SampleResult[] = [];
      const started: Scorer[] = [];
      const spent: Record<string, { loadMs: number; scoreMs: number }> = {};
      for (const s of scorers) spent[s.name] = { loadMs: 0, scoreMs: 0 };

      const init = async (): Promise<void> => {
        for (const s of scorers) {
          started.push(s);
          const t0 = performance.now();
          try {
            await s.init();
          } catch (err) {
            throw scorerFailure(s, 'init', err);
          }
          spent[s.name]!.loadMs = performance.now() - t0;
        }
      };

      const scoreBatch = async (batch: readonly CaptionRecord[]): Promise<EvalEvent[]> => {
        const perScorer: (readonly SampleScores[])[] = [];
        for (const s of scorers) {
          let values: readonly SampleScores[];
          const t0 = performance.now();
          try {
            values = await s.scoreBatch(batch);
            spent[s.name]!.scoreMs += performance.now() - t0;
          } catch (err) {
            throw scorerFailure(
              s,
              'score',
              err,
              batch.map((r) => r.id),
            );
          }
          if (values.length !== batch.length) {
            throw new ScorerError(`${s.name} returned ${values.length} scores for ${batch.length} captions`, {
              scorer: s.name,
              stage: 'score',
            });
          }
          perScorer.push(values);
        }
        const events: EvalEvent[] = batch.map((r, i) => {
          const result: SampleResult = {
            ...r,
            index: samples.length,
            metrics: Object.assign({}, ...perScorer.map((v) => v[i])) as SampleScores,
          };
          samples.push(result);
          return { type: 'sample', ...result };
        });
        events.push({
          type: 'progress',
          done: samples.length,
          ...(options.total === undefined ? {} : { total: options.total }),
        });
        return events;
      };

      const finish = (): MetricsEvent => {
        const t0 = performance.now();
        const pure =
          samples.length === 0 || pureNames.length === 0
            ? { aggregate: {}, perSample: [] }
            : computePureMetrics(
                samples.map((s) => ({
                  id: s.id,
                  prediction: s.prediction,
                  references: s.reference,
                  ...(s.eosReached === undefined ? {} : { eosReached: s.eosReached }),
                })),
                pureNames,
                options.pureOptions,
              );
        const merged = samples.map((s, i) => {
          const p = pure.perSample[i];
          const extra: Record<string, number> = {};
          for (const m of PURE_SAMPLE_METRICS) {
            const v = p?.[m.sampleField!];
            if (typeof v === 'number') extra[m.key] = v;
          }
          return { ...s, metrics: { ...extra, ...s.metrics } };
        });
        const eos = samples.map((s) => s.eosReached).filter((e): e is boolean => e !== undefined);
        return {
          type: 'metrics',
          aggregate: {
            count: samples.length,
            emptyPredictions: samples.filter((s) => s.prediction.trim() === '').length,
            eosRate: eos.length === 0 ? undefined : eos.filter(Boolean).length / eos.length,
            cutRate: eos.length === 0 ? undefined : eos.filter((e) => !e).length / eos.length,
            pure: pure.aggregate,
            model: Object.assign({}, ...scorers.map((s) => s.aggregate())) as SampleScores,
          },
          samples: merged,
          timings: { scorers: spent, pureMs: performance.now() - t0 } satisfies EvalTimings,
        };
      };

      return from(init()).pipe(
        concatMap(() => source),
        bufferCount(batchSize),
        concatMap((batch) => from(scoreBatch(batch)).pipe(concatMap((events) => from(events)))),
        concatWith(defer(() => of(finish()))),
        finalize(() => {
          // Dispose in reverse order of loading; a failing dispose must not hide the real outcome.
          for (const s of started.reverse())
            void Promise.resolve()
              .then(() => s.dispose())
              .catch(() => undefined);
        }),
      );
    });
}
