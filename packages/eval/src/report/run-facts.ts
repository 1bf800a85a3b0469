/**
 * Facts about a run for the report header, derived from its events (pure): status, start and
 * duration, steps and epochs per stage, the best checkpoint, the final metrics (metrics.json, or
 * the last evaluation when there is none yet) and the warnings.
 */
import type { RunData } from './read-run.js';

export type RunStatus = 'finished' | 'failed' | 'running' | 'unknown';

/** What the header shows. */
export interface RunFacts {
  readonly status: RunStatus;
  /** Free-form status text from `run-end` (e.g. "completed", "stopped"), if any. */
  readonly statusText: string;
  readonly startedAt?: string;
  readonly durationS?: number;
  readonly stages: readonly { readonly stage: string; readonly steps: number; readonly epochs: number }[];
  readonly bestCheckpoint?: string;
  readonly finalMetrics: Readonly<Record<string, number>>;
  /** Where `finalMetrics` came from. */
  readonly metricsSource: 'metrics.json' | 'last evaluation' | 'none';
  readonly warnings: readonly string[];
}

const timeOf = (v: unknown): number | undefined =>
  typeof v === 'string' && Number.isFinite(Date.parse(v)) ? Date.parse(v) : undefined;

/** Derive the header facts of a run. */
export function runFacts(run: RunData): RunFacts {
  const start = run.events.find((e) => e.type === 'run-start');
  const end = [...run.events].reverse().find((e) => e.type === 'run-end');
  const endFields = end?.type === 'run-end' ? end.fields : undefined;
  const statusText = typeof endFields?.status === 'string' ? endFields.status : '';
  const failed =
    /fail|error|crash|abort/i.test(statusText) || (endFields !== undefined && typeof endFields.error === 'string');
  const status: RunStatus = failed
    ? 'failed'
    : end
      ? 'finished'
      : start || run.events.length > 0
        ? 'running'
        : run.metrics
          ? 'finished'
          : 'unknown';

  const startFields = start?.type === 'run-start' ? start.fields : undefined;
  const stepTimes = run.events.flatMap((e) =>
    e.type === 'step' && timeOf(e.time) !== undefined ? [timeOf(e.time)!] : [],
  );
  const t0 = timeOf(startFields?.time) ?? stepTimes[0];
  const t1 = timeOf(endFields?.time) ?? stepTimes[stepTimes.length - 1];
  const elapsed =
    typeof endFields?.elapsedS === 'number'
      ? endFields.elapsedS
      : t0 !== undefined && t1 !== undefined && t1 >= t0
        ? (t1 - t0) / 1000
        : undefined;

  const stageMap = new Map<string, { steps: number; epochs: Set<number> }>();
  for (const e of run.events) {
    if (e.type !== 'step' && e.type !== 'epoch') continue;
    const s = stageMap.get(e.stage) ?? { steps: 0, epochs: new Set<number>() };
    if (e.type === 'step') s.steps++;
    if (e.epoch !== undefined) s.epochs.add(e.epoch);
    stageMap.set(e.stage, s);
  }
  const best = [...run.events].reverse().find((e) => e.type === 'checkpoint' && e.best);
  const lastEval = [...run.events].reverse().find((e) => e.type === 'evaluation');
  const finalMetrics = run.metrics ?? (lastEval?.type === 'evaluation' ? lastEval.metrics : {});
  return {
    status,
    statusText,
    ...(t0 !== undefined ? { startedAt: new Date(t0).toISOString() } : {}),
    ...(elapsed !== undefined ? { durationS: elapsed } : {}),
    stages: [...stageMap].map(([stage, s]) => ({ stage, steps: s.steps, epochs: s.epochs.size })),
    ...(best?.type === 'checkpoint' ? { bestCheckpoint: best.path } : {}),
    finalMetrics,
    metricsSource: run.metrics ? 'metrics.json' : lastEval ? 'last evaluation' : 'none',
    warnings: run.events.flatMap((e) => (e.type === 'warning' ? [e.message] : [])),
  };
}

/** 3725 → "1 h 2 min", 75 → "1 min 15 s". */
export function formatDurationS(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min ${Math.round(s % 60)} s`;
}
