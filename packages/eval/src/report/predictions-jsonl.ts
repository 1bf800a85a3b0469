/**
 * A tolerant reader of `predictions.jsonl` (one final-evaluation sample a line): a line without a
 * prediction is skipped and counted; missing per-sample scores are simply not shown.
 */
import { canonicalMetrics } from '../metrics/metric-registry.js';

/** One evaluated sample. */
export interface ReportPrediction {
  readonly id: string;
  /** The video path as written by the evaluator (absolute, or relative to the run or the cwd). */
  readonly video?: string;
  readonly prediction: string;
  readonly reference?: string;
  /** Finite numeric per-sample scores only. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Whether generation stopped at EOS; absent when the evaluator did not say. */
  readonly eosReached?: boolean;
}

/** What {@link parseReportPredictions} found. */
export interface ParsedReportPredictions {
  readonly predictions: readonly ReportPrediction[];
  readonly malformed: number;
}

/** Parse the text of `predictions.jsonl`. Nothing throws. */
export function parseReportPredictions(text: string): ParsedReportPredictions {
  const predictions: ReportPrediction[] = [];
  let malformed = 0;
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    n++;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      malformed++;
      continue;
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      malformed++;
      continue;
    }
    const r = o as Record<string, unknown>;
    if (typeof r.prediction !== 'string') {
      malformed++;
      continue;
    }
    const metrics: Record<string, number> = {};
    if (r.metrics && typeof r.metrics === 'object') {
      for (const [k, v] of Object.entries(r.metrics)) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    }
    const eos =
      typeof r.eos_reached === 'boolean' ? r.eos_reached : typeof r.eosReached === 'boolean' ? r.eosReached : undefined;
    predictions.push({
      id: typeof r.id === 'string' || typeof r.id === 'number' ? String(r.id) : `#${n}`,
      ...(typeof r.video === 'string' ? { video: r.video } : {}),
      prediction: r.prediction,
      ...(typeof r.reference === 'string'
        ? { reference: r.reference }
        : Array.isArray(r.reference)
          ? { reference: r.reference.map(String).join('\n') }
          : {}),
      metrics: canonicalMetrics(metrics),
      ...(eos === undefined ? {} : { eosReached: eos }),
    });
  }
  return { predictions, malformed };
}
