/**
 * The one table of metric names: every key an evaluation writes (metrics.json, predictions.jsonl,
 * evaluation events, training_log.csv) with its label, which direction is better and how it is
 * shown. The trainer's log columns, the report, the CLI tables and `--metrics` / `bestMetric`
 * read it, because two tables drift: CIDEr was never logged when one said `cider` and another
 * `cider_d`. Aliases are the short names people select metrics by (`cider`, `bleu`, `rouge`,
 * `bertscore`) and the keys of runs written before the names were settled.
 */
import { MetricInputError } from '../errors.js';
import type { EvalAggregate } from '../stream/eval-events.js';
import type { PureMetricName, PureMetricsSample } from './compute-pure-metrics.js';

/** Which way is better; `none` for descriptive numbers (lengths, counts). */
export type MetricDirection = 'higher' | 'lower' | 'none';
/** `score`: a fraction-like value; `percent`: a rate shown as %; `count`: an integer; `number`: anything else. */
export type MetricFormat = 'score' | 'percent' | 'count' | 'number';
/** What computes a family of metrics: a pure metric of `computePureMetrics`, or a model-based scorer. */
export type MetricFamily = PureMetricName | 'bertscore' | 'siglip';

/** One metric of the registry. */
export interface MetricSpec {
  /** The canonical key, as every file and event writes it. */
  readonly key: string;
  /** As people write it (report cards, chart titles). */
  readonly label: string;
  readonly better: MetricDirection;
  readonly format: MetricFormat;
  /** Other names that mean this metric; the first is the name `--metrics` lists. */
  readonly aliases?: readonly string[];
  /** Selecting this metric computes this family (its other keys come with it). */
  readonly computes?: MetricFamily;
  /** The training_log.csv column when it is not `key` (the seed's `siglip_score`). */
  readonly column?: string;
  /** One of the seed's own training_log.csv columns, which come before ours. */
  readonly seedColumn?: boolean;
  /** Shown as a highlighted headline card in the report. */
  readonly headline?: boolean;
  /** Its corpus value in an evaluation's aggregate (model-based ones come flat from their scorer). */
  readonly value?: (a: EvalAggregate) => number | undefined;
  /** The per-sample field of `computePureMetrics` that holds it in predictions.jsonl. */
  readonly sampleField?: Exclude<keyof PureMetricsSample, 'index' | 'id'>;
}

const score = (key: string, label: string, more: Partial<MetricSpec> = {}): MetricSpec => ({
  key,
  label,
  better: 'higher',
  format: 'score',
  ...more,
});
const div = (a: EvalAggregate) => a.pure.diversity;

/** Every metric, in the order tables, cards and charts show them. */
export const METRICS: readonly MetricSpec[] = [
  score('meteor', 'METEOR', { computes: 'meteor', headline: true, value: (a) => a.pure.meteor, sampleField: 'meteor' }),
  score('siglip', 'SigLIP2 score', { computes: 'siglip', column: 'siglip_score', seedColumn: true, headline: true }),
  score('bertscore_f1', 'BERTScore F1', { aliases: ['bertscore'], computes: 'bertscore', headline: true }),
  score('bertscore_precision', 'BERTScore precision'),
  score('bertscore_recall', 'BERTScore recall'),
  score('cider_d', 'CIDEr-D', {
    aliases: ['cider', 'cider-d'],
    computes: 'cider-d',
    headline: true,
    value: (a) => a.pure.ciderD,
    sampleField: 'ciderD',
  }),
  score('bleu_1', 'BLEU-1', { value: (a) => a.pure.bleu?.[0] }),
  score('bleu_2', 'BLEU-2', { value: (a) => a.pure.bleu?.[1] }),
  score('bleu_3', 'BLEU-3', { value: (a) => a.pure.bleu?.[2] }),
  score('bleu_4', 'BLEU-4', {
    aliases: ['bleu'],
    computes: 'bleu',
    value: (a) => a.pure.bleu?.[3],
    sampleField: 'bleu4',
  }),
  score('rouge_l', 'ROUGE-L', {
    aliases: ['rouge', 'rouge-l'],
    computes: 'rouge-l',
    value: (a) => a.pure.rougeL,
    sampleField: 'rougeL',
  }),
  // The seed's `diversity` (unique captions / captions), logged and warned on by that name.
  score('diversity', 'Diversity', { computes: 'diversity', seedColumn: true, value: (a) => div(a)?.uniqueRatio }),
  score('unique_ratio', 'Unique captions', { value: (a) => div(a)?.uniqueRatio }),
  score('distinct_1', 'Distinct-1', { value: (a) => div(a)?.distinct1 }),
  score('distinct_2', 'Distinct-2', { value: (a) => div(a)?.distinct2 }),
  score('repetition', 'Repetition', { better: 'lower', value: (a) => div(a)?.repetition }),
  score('mode_collapse', 'Mode collapse', {
    better: 'lower',
    format: 'count',
    value: (a) => (div(a) ? Number(div(a)!.modeCollapse) : undefined),
  }),
  score('eos_rate', 'EOS rate', { format: 'percent', value: (a) => a.eosRate }),
  // Captions that hit max_new_tokens before EOS (the seed's 128 cut captions of ~400 tokens).
  score('cut_rate', 'Cut at max tokens', { better: 'lower', format: 'percent', value: (a) => a.cutRate }),
  // The demo's: validation captions that name color, shape and direction right.
  score('attribute_accuracy', 'Attribute accuracy', { format: 'percent' }),
  // ... and each attribute alone (the demo's synthetic videos: a shape of a color moving on a background).
  score('color_accuracy', 'Color accuracy', { format: 'percent' }),
  score('shape_accuracy', 'Shape accuracy', { format: 'percent' }),
  score('direction_accuracy', 'Direction accuracy', { format: 'percent' }),
  score('background_accuracy', 'Background accuracy', { format: 'percent' }),
  score('length_tokens_mean', 'Mean length (tokens)', {
    better: 'none',
    format: 'number',
    value: (a) => div(a)?.lengthTokens.mean,
  }),
  score('length_chars_mean', 'Mean length (characters)', {
    better: 'none',
    format: 'number',
    value: (a) => div(a)?.lengthChars.mean,
  }),
  score('count', 'Captions', { better: 'none', format: 'count', value: (a) => a.count }),
  score('empty_predictions', 'Empty predictions', {
    better: 'none',
    format: 'count',
    value: (a) => a.emptyPredictions,
  }),
];

/** Keys, aliases and CSV column names → their metric. */
const BY_NAME: ReadonlyMap<string, MetricSpec> = new Map(
  METRICS.flatMap((m) => [m.key, ...(m.aliases ?? []), ...(m.column ? [m.column] : [])].map((n) => [n, m] as const)),
);

/** The metric a key, alias or training_log.csv column names, or undefined. */
export function findMetric(name: string): MetricSpec | undefined {
  return BY_NAME.get(name);
}

/** The metric a key or alias names; throws {@link MetricInputError} for an unknown name. */
export function metricSpec(name: string): MetricSpec {
  const m = BY_NAME.get(name);
  if (!m) {
    throw new MetricInputError(`unknown metric ${name}`, { metric: name, known: [...BY_NAME.keys()].join(', ') });
  }
  return m;
}

/** The canonical key of a key or alias; unknown names are returned as they are. */
export const canonicalMetricKey = (name: string): string => BY_NAME.get(name)?.key ?? name;

/** Re-key a record of metric values by canonical keys (a canonical key wins over an alias). */
export function canonicalMetrics(values: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (BY_NAME.get(k)?.key === k || !BY_NAME.has(k)) out[k] = v;
  for (const [k, v] of Object.entries(values)) out[canonicalMetricKey(k)] ??= v;
  return out;
}

export const metricLabel = (name: string): string => BY_NAME.get(name)?.label ?? name;

/** Sort metric names: registry order first, then the rest alphabetically. */
export function sortMetrics(names: Iterable<string>): string[] {
  const rank = (k: string): number => {
    const m = BY_NAME.get(k);
    return m ? METRICS.indexOf(m) : METRICS.length;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The names `--metrics` and `eval.metrics` offer: one per family, in registry order. */
export const METRIC_CHOICES: readonly string[] = METRICS.filter((m) => m.computes).map((m) => m.aliases?.[0] ?? m.key);

/** What a selection of metric names computes; unknown names (and ones that compute nothing) are listed. */
export function metricFamilies(names: readonly string[]): {
  readonly families: MetricFamily[];
  readonly unknown: string[];
} {
  const families: MetricFamily[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const family = BY_NAME.get(n)?.computes;
    if (!family) unknown.push(n);
    else if (!families.includes(family)) families.push(family);
  }
  return { families, unknown };
}

/** A training_log.csv column that holds a metric (the shape @kvc/train's `logMetrics` option takes). */
export interface LoggedMetric {
  readonly key: string;
  readonly column: string;
  /** One of the seed's columns (stage, epoch, train_loss, siglip_score, diversity, lr, timestamp). */
  readonly seedColumn?: boolean;
}

/** The metric columns of training_log.csv: every metric of the registry, in its order. */
export const TRAINING_LOG_METRICS: readonly LoggedMetric[] = METRICS.map((m) => ({
  key: m.key,
  column: m.column ?? m.key,
  ...(m.seedColumn ? { seedColumn: true } : {}),
}));
