/**
 * Parsing a predictions JSONL text (one JSON object a line with `prediction` and `reference`,
 * optionally `id`, `video`, `eos_reached`). Bad lines never stop the evaluation: each is reported
 * with its 1-based line number and the reason, and skipped.
 */
import type { CaptionRecord } from './caption-record.js';

/** A skipped line of a predictions file. */
export interface PredictionLineIssue {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
}

/** What {@link parsePredictionsJsonl} found. */
export interface ParsedPredictionsJsonl {
  readonly records: readonly CaptionRecord[];
  readonly issues: readonly PredictionLineIssue[];
  /** Records whose prediction is empty after trimming (valid, scored). */
  readonly emptyPredictions: number;
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** Checks one parsed line; returns the record or the reason it is unusable. */
function toRecord(value: unknown, line: number): CaptionRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `not a JSON object (got ${describe(value)})`;
  const o = value as Record<string, unknown>;
  if (!('prediction' in o)) return 'missing "prediction"';
  if (typeof o.prediction !== 'string') return `"prediction" is not a string (got ${describe(o.prediction)})`;
  if (!('reference' in o)) return 'missing "reference"';
  if (typeof o.reference !== 'string') return `"reference" is not a string (got ${describe(o.reference)})`;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : `line-${line}`;
  const eos =
    typeof o.eos_reached === 'boolean' ? o.eos_reached : typeof o.eosReached === 'boolean' ? o.eosReached : undefined;
  return {
    id,
    ...(typeof o.video === 'string' ? { video: o.video } : {}),
    prediction: o.prediction,
    reference: o.reference,
    ...(eos === undefined ? {} : { eosReached: eos }),
  };
}

/** Parse predictions JSONL text. Blank lines are ignored; nothing throws. */
export function parsePredictionsJsonl(text: string): ParsedPredictionsJsonl {
  const records: CaptionRecord[] = [];
  const issues: PredictionLineIssue[] = [];
  let emptyPredictions = 0;
  // A UTF-8 BOM would make the first line invalid JSON.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      issues.push({ line, reason: `malformed JSON: ${(err as Error).message}` });
      return;
    }
    const r = toRecord(value, line);
    if (typeof r === 'string') {
      issues.push({ line, reason: r });
      return;
    }
    if (r.prediction.trim() === '') emptyPredictions += 1;
    records.push(r);
  });
  return { records, issues, emptyPredictions };
}
