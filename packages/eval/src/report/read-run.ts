/**
 * Reading a run folder (config.json, events.jsonl, training_log.csv, predictions.jsonl,
 * metrics.json) for the report. Every file is optional: a run in progress or a run without
 * evaluation still gets a report, which lists what is missing and how many lines were skipped.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseReportPredictions, type ReportPrediction } from './predictions-jsonl.js';
import { RunNotFoundError } from './report-errors.js';
import { parseRunEvents, type RunEvent } from './run-events.js';
import { parseTrainingLogCsv, type TrainingLogRow } from './training-log-csv.js';
import { canonicalMetrics } from '../metrics/metric-registry.js';

/** The files of a run folder, in the order the report talks about them. */
export const RUN_FILES = [
  'config.json',
  'events.jsonl',
  'training_log.csv',
  'predictions.jsonl',
  'metrics.json',
] as const;
export type RunFile = (typeof RUN_FILES)[number];

/** Lines of one file that were skipped. */
export interface SkippedLines {
  readonly file: RunFile;
  readonly malformed: number;
  readonly unknown: number;
}

/** Everything the report knows about a run. */
export interface RunData {
  /** Absolute path of the run folder. */
  readonly dir: string;
  /** The folder's name, or `config.name` / `config.run_name` when the config has one. */
  readonly name: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly events: readonly RunEvent[];
  readonly trainingLog: readonly TrainingLogRow[];
  readonly predictions: readonly ReportPrediction[];
  /** Finite numbers of metrics.json. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** Run files that are absent. */
  readonly missing: readonly RunFile[];
  /** Files present but unusable as a whole (bad JSON), with the reason. */
  readonly unreadable: readonly { readonly file: RunFile; readonly reason: string }[];
  readonly skipped: readonly SkippedLines[];
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function jsonObject(text: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : 'not a JSON object';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Read a run folder. Throws {@link RunNotFoundError} only when the folder itself is absent. */
export async function readRun(runDir: string): Promise<RunData> {
  const dir = resolve(runDir);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new RunNotFoundError(dir, 'the path does not exist');
  if (!st.isDirectory()) throw new RunNotFoundError(dir, 'the path is a file, not a folder');
  const [configText, eventsText, csvText, predictionsText, metricsText] = await Promise.all(
    RUN_FILES.map((f) => readText(join(dir, f))),
  );
  const missing = RUN_FILES.filter(
    (_, i) => [configText, eventsText, csvText, predictionsText, metricsText][i] === undefined,
  );
  const unreadable: { file: RunFile; reason: string }[] = [];
  const skipped: SkippedLines[] = [];

  let config: Record<string, unknown> | undefined;
  if (configText !== undefined) {
    const c = jsonObject(configText);
    if (typeof c === 'string') unreadable.push({ file: 'config.json', reason: c });
    else config = c;
  }
  let metrics: Record<string, number> | undefined;
  if (metricsText !== undefined) {
    const m = jsonObject(metricsText);
    if (typeof m === 'string') unreadable.push({ file: 'metrics.json', reason: m });
    else
      metrics = canonicalMetrics(
        Object.fromEntries(
          Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
        ),
      );
  }
  const ev = parseRunEvents(eventsText ?? '');
  if (ev.malformed || ev.unknown) skipped.push({ file: 'events.jsonl', malformed: ev.malformed, unknown: ev.unknown });
  const log = parseTrainingLogCsv(csvText ?? '');
  if (log.malformed) skipped.push({ file: 'training_log.csv', malformed: log.malformed, unknown: 0 });
  const preds = parseReportPredictions(predictionsText ?? '');
  if (preds.malformed) skipped.push({ file: 'predictions.jsonl', malformed: preds.malformed, unknown: 0 });

  const named = config?.name ?? config?.run_name ?? config?.runName;
  return {
    dir,
    name: typeof named === 'string' && named.trim() !== '' ? named : basename(dir),
    ...(config ? { config } : {}),
    events: ev.events,
    trainingLog: log.rows,
    predictions: preds.predictions,
    ...(metrics ? { metrics } : {}),
    missing,
    unreadable,
    skipped,
  };
}
