/**
 * One call for all model-free metrics of an evaluation run: validates the metric names, runs the
 * requested ones over the records and returns corpus aggregates plus per-sample values (METEOR,
 * ROUGE-L, CIDEr-D, BLEU-4 per sample; BLEU and CIDEr-D are corpus-level in the aggregate).
 */
import { MetricInputError } from '../errors.js';
import type { Tokenizer } from '../tokenize/whitespace-tokenize.js';
import { corpusBleu } from './bleu.js';
import { corpusCiderD } from './cider-d.js';
import type { SampleReferences } from './corpus-input.js';
import { type CorpusMeteorOptions, corpusMeteor } from './corpus-meteor.js';
import { type DiversityStats, diversityStats } from './diversity.js';
import { corpusRougeL } from './rouge-l.js';

/** Names of the pure metrics. */
export const PURE_METRIC_NAMES = ['meteor', 'bleu', 'rouge-l', 'cider-d', 'diversity'] as const;
export type PureMetricName = (typeof PURE_METRIC_NAMES)[number];

/** One evaluated sample. */
export interface EvalRecord {
  readonly id?: string;
  readonly prediction: string;
  readonly references: SampleReferences;
  /** Whether generation stopped at EOS (for the EOS rate). */
  readonly eosReached?: boolean;
}

/** Options of {@link computePureMetrics}. */
export interface PureMetricsOptions {
  /** METEOR options (its tokenizer defaults to nltk's word_tokenize, as HF evaluate). */
  readonly meteor?: CorpusMeteorOptions;
  /** Tokenizer of BLEU, ROUGE-L, CIDEr-D and diversity (default whitespace). */
  readonly tokenize?: Tokenizer;
}

/** Corpus-level values of the requested metrics. */
export interface PureMetricsAggregate {
  meteor?: number;
  /** BLEU-1..4. */
  bleu?: readonly number[];
  rougeL?: number;
  ciderD?: number;
  diversity?: DiversityStats;
}

/** Per-sample values of the requested metrics. */
export interface PureMetricsSample {
  index: number;
  id?: string;
  meteor?: number;
  rougeL?: number;
  ciderD?: number;
  bleu4?: number;
}

/** Compute the `names` metrics on `records`. */
export function computePureMetrics(
  records: readonly EvalRecord[],
  names: readonly PureMetricName[] = PURE_METRIC_NAMES,
  options: PureMetricsOptions = {},
): { readonly aggregate: PureMetricsAggregate; readonly perSample: readonly PureMetricsSample[] } {
  const unknown = names.filter((n) => !(PURE_METRIC_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new MetricInputError(`unknown metric ${unknown.join(', ')}`, {
      unknown,
      known: PURE_METRIC_NAMES.join(', '),
    });
  }
  const wanted = new Set(names);
  const preds = records.map((r) => r.prediction);
  const refs = records.map((r) => r.references);
  const tok = options.tokenize ? { tokenize: options.tokenize } : {};
  const aggregate: PureMetricsAggregate = {};
  const perSample: PureMetricsSample[] = records.map((r, index) =>
    r.id === undefined ? { index } : { index, id: r.id },
  );
  const put = (key: 'meteor' | 'rougeL' | 'ciderD' | 'bleu4', values: readonly number[]) =>
    values.forEach((v, i) => ((perSample[i] as PureMetricsSample)[key] = v));

  if (wanted.has('meteor')) {
    const m = corpusMeteor(preds, refs, options.meteor);
    aggregate.meteor = m.meteor;
    put('meteor', m.scores);
  }
  if (wanted.has('bleu')) {
    const b = corpusBleu(preds, refs, { ...tok, n: 4 });
    aggregate.bleu = b.bleu;
    put('bleu4', b.perSample[3] ?? []);
  }
  if (wanted.has('rouge-l')) {
    const r = corpusRougeL(preds, refs, tok);
    aggregate.rougeL = r.rougeL;
    put('rougeL', r.scores);
  }
  if (wanted.has('cider-d')) {
    const c = corpusCiderD(preds, refs, tok);
    aggregate.ciderD = c.ciderD;
    put('ciderD', c.scores);
  }
  if (wanted.has('diversity'))
    aggregate.diversity = diversityStats(preds, { ...tok, eosReached: records.map((r) => r.eosReached) });
  return { aggregate, perSample };
}
