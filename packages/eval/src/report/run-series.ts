/**
 * From a run's events (or, for runs without `events.jsonl`, its `training_log.csv`) to chart
 * series: per-step loss, learning rate, grad norm and throughput on one global step axis across
 * both stages, and per-epoch evaluation metrics on one global epoch axis, with the points where
 * a new stage starts. Pure.
 */
import type { ChartMarker } from './svg-line-chart.js';
import type { RunData } from './read-run.js';
import { findMetric } from '../metrics/metric-registry.js';

/** One optimizer step on the global axis. */
export interface StepPoint {
  readonly stage: string;
  readonly x: number;
  readonly loss?: number;
  readonly lr?: number;
  readonly gradNorm?: number;
  readonly tokensPerS?: number;
}

/** One evaluation on the global epoch axis. */
export interface EvalPoint {
  readonly stage: string;
  readonly x: number;
  readonly epoch?: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** The derived series and where each stage after the first begins. */
export interface RunSeries {
  readonly steps: readonly StepPoint[];
  readonly stepMarkers: readonly ChartMarker[];
  readonly evals: readonly EvalPoint[];
  readonly evalMarkers: readonly ChartMarker[];
  /** Stages in order of appearance. */
  readonly stages: readonly string[];
  /** Where the series came from. */
  readonly source: 'events' | 'training_log.csv' | 'none';
}

interface RawStep {
  stage: string;
  step?: number | undefined;
  loss?: number | undefined;
  lr?: number | undefined;
  gradNorm?: number | undefined;
  tokensPerS?: number | undefined;
}

/**
 * Put steps on one axis. Counters may be global, per stage or per epoch: whenever the written
 * step does not increase, the axis continues from where the last point ended.
 */
export function globalSteps(raw: readonly RawStep[]): StepPoint[] {
  const out: StepPoint[] = [];
  let offset = 0;
  let lastRaw = -Infinity;
  let lastX = 0;
  for (const r of raw) {
    let x: number;
    if (r.step === undefined) x = lastX + 1;
    else {
      if (r.step <= lastRaw) offset = lastX;
      x = offset + r.step;
      lastRaw = r.step;
    }
    lastX = x;
    out.push({ stage: r.stage, x, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokensPerS: r.tokensPerS });
  }
  return out;
}

/** Markers where the stage changes (labelled with the new stage). */
function stageMarkers<P extends { stage: string; x: number }>(
  points: readonly P[],
  before: (p: P, prev: P) => number,
): ChartMarker[] {
  const out: ChartMarker[] = [];
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const prev = points[i - 1]!;
    if (p.stage !== prev.stage) out.push({ x: before(p, prev), label: `${p.stage} →` });
  }
  return out;
}

/** Derive every chart series of a run. */
export function runSeries(run: RunData): RunSeries {
  const stepEvents = run.events.filter((e) => e.type === 'step');
  const evalEvents = run.events.filter((e) => e.type === 'evaluation');
  const fromEvents = stepEvents.length > 0 || evalEvents.length > 0;
  const csv = run.trainingLog;
  const source = fromEvents ? 'events' : csv.length > 0 ? 'training_log.csv' : 'none';

  const rawSteps: RawStep[] = fromEvents
    ? stepEvents
    : csv
        .filter((r) => r.values.train_loss !== undefined || r.values.lr !== undefined)
        .map((r) => ({
          stage: r.stage,
          step: r.values.step,
          loss: r.values.train_loss,
          lr: r.values.lr,
          gradNorm: r.values.grad_norm,
          tokensPerS: r.values.tokens_per_s,
        }));
  const steps = globalSteps(rawSteps);

  const rawEvals: { stage: string; epoch?: number | undefined; metrics: Record<string, number> }[] = fromEvents
    ? evalEvents.map((e) => ({ stage: e.stage, epoch: e.epoch, metrics: { ...e.metrics } }))
    : csv
        .map((r) => {
          const metrics: Record<string, number> = {};
          // Every column the metric registry knows (by key, alias or its CSV name: siglip_score → siglip).
          for (const [c, v] of Object.entries(r.values)) {
            const m = findMetric(c);
            if (m) metrics[m.key] = v;
          }
          return { stage: r.stage, epoch: r.values.epoch, metrics };
        })
        .filter((r) => Object.keys(r.metrics).length > 0);
  // Global epoch: a stage's epochs continue after the previous stages' last epoch.
  const evals: EvalPoint[] = [];
  let offset = 0;
  let lastX = 0;
  let stage: string | undefined;
  for (const e of rawEvals) {
    if (e.stage !== stage) {
      offset = lastX;
      stage = e.stage;
    }
    const x = e.epoch !== undefined ? offset + e.epoch : lastX + 1;
    lastX = x;
    evals.push({ stage: e.stage, x, ...(e.epoch !== undefined ? { epoch: e.epoch } : {}), metrics: e.metrics });
  }
  const stages = [...new Set([...steps.map((s) => s.stage), ...evals.map((e) => e.stage)])];
  return {
    steps,
    stepMarkers: stageMarkers(steps, (p, prev) => (p.x + prev.x) / 2),
    evals,
    evalMarkers: stageMarkers(evals, (p, prev) => (p.x + prev.x) / 2),
    stages,
    source,
  };
}
