/**
 * The typed events an evaluation stream emits: one `sample` per caption as its model-based scores
 * arrive, `progress` after each batch, and one `metrics` at the end with the corpus aggregate and
 * every sample's full set of per-sample metrics (pure ones included).
 */
import type { PureMetricsAggregate } from '../metrics/compute-pure-metrics.js';
import type { CaptionRecord } from '../predictions/caption-record.js';
import type { SampleScores } from './scorer.js';

/** One caption with its per-sample metrics (flat snake_case keys). */
export interface SampleResult extends CaptionRecord {
  /** Position in the stream (0-based). */
  readonly index: number;
  readonly metrics: SampleScores;
}

/** A caption's model-based scores (pure metrics come with the final `metrics` event). */
export interface SampleEvent extends SampleResult {
  readonly type: 'sample';
}

/** After each scored batch. */
export interface ProgressEvent {
  readonly type: 'progress';
  /** Captions scored so far. */
  readonly done: number;
  /** Captions expected, when the caller said. */
  readonly total?: number;
}

/** Corpus-level results. */
export interface EvalAggregate {
  readonly count: number;
  /** Captions that are empty after trimming (scored like the others). */
  readonly emptyPredictions: number;
  /** Fraction of samples that reached EOS; undefined when no sample says. */
  readonly eosRate: number | undefined;
  /**
   * Fraction of samples cut at max_new_tokens (generation ended without EOS: `eosReached` false);
   * undefined when no sample says. The seed's 128 new tokens cut nearly every AIHub caption.
   */
  readonly cutRate?: number | undefined;
  /** Pure metrics (corpus-level: BLEU and CIDEr-D over the whole corpus). */
  readonly pure: PureMetricsAggregate;
  /** Every scorer's aggregate, flat keys (`bertscore_f1`, `siglip`, ...). */
  readonly model: SampleScores;
}

/** Where an evaluation's time went (wall clock, ms): not metrics, so not in metrics.json. */
export interface EvalTimings {
  /** Each model-based scorer: its init (the model's load, the first time) and its batches together. */
  readonly scorers: Readonly<Record<string, { readonly loadMs: number; readonly scoreMs: number }>>;
  /** The corpus-level pure metrics, computed at the end. */
  readonly pureMs: number;
}

/** The last event: the aggregate and every sample with all its metrics. */
export interface MetricsEvent {
  readonly type: 'metrics';
  readonly aggregate: EvalAggregate;
  readonly samples: readonly SampleResult[];
  readonly timings?: EvalTimings;
}

export type EvalEvent = SampleEvent | ProgressEvent | MetricsEvent;
