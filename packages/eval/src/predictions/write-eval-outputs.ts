/**
 * Writing an evaluation's results: `predictions.jsonl` (id, video, prediction, reference,
 * per-sample metrics, eos_reached — one sample a line) and `metrics.json` (the flat aggregate),
 * each atomically so an interrupted run never leaves half a file.
 */
import { join } from 'node:path';
import type { MetricsEvent, SampleResult } from '../stream/eval-events.js';
import { flattenAggregate } from './flatten-aggregate.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** One predictions.jsonl line (without the newline). */
export function predictionLine(s: SampleResult): string {
  return JSON.stringify({
    id: s.id,
    ...(s.video === undefined ? {} : { video: s.video }),
    prediction: s.prediction,
    reference: s.reference,
    metrics: s.metrics,
    ...(s.eosReached === undefined ? {} : { eos_reached: s.eosReached }),
  });
}

/** Paths written by {@link writeEvalOutputs}. */
export interface EvalOutputFiles {
  readonly predictions: string;
  readonly metrics: string;
}

/**
 * Write `predictions.jsonl` and `metrics.json` into `dir` (created if needed). `extra` entries
 * (model names, skipped line count, ...) are added to metrics.json beside the numbers.
 */
export async function writeEvalOutputs(
  dir: string,
  result: Pick<MetricsEvent, 'aggregate' | 'samples'>,
  extra: Readonly<Record<string, unknown>> = {},
): Promise<EvalOutputFiles> {
  const files = { predictions: join(dir, 'predictions.jsonl'), metrics: join(dir, 'metrics.json') };
  await writeFileAtomic(files.predictions, result.samples.map((s) => predictionLine(s) + '\n').join(''));
  await writeFileAtomic(
    files.metrics,
    JSON.stringify({ ...flattenAggregate(result.aggregate), ...extra }, null, 2) + '\n',
  );
  return files;
}
