/**
 * Which charts a run report shows, as chart specs: training loss (log scale, raw and smoothed,
 * one color per stage), learning rate, grad norm, throughput, and one small chart per evaluation
 * metric (labels and order from the metric registry). A chart with no data is left out (the page says so) rather than drawn empty.
 */
import { CHART_PALETTE, type ChartSeries, type LineChartSpec } from './svg-line-chart.js';
import type { RunSeries, StepPoint } from './run-series.js';
import { metricLabel, sortMetrics } from '../metrics/metric-registry.js';

/** A chart of the report, with a stable id (used for anchors and tests). */
export interface ReportChart {
  readonly id: string;
  readonly group: 'training' | 'evaluation';
  readonly spec: LineChartSpec;
}

/** Exponential moving average (bias-corrected, like TensorBoard's smoothing). */
export function ema(values: readonly number[], alpha: number): number[] {
  let m = 0;
  let w = 0;
  return values.map((v) => {
    m = alpha * m + (1 - alpha) * v;
    w = alpha * w + (1 - alpha);
    return m / w;
  });
}

function perStage(series: RunSeries, pick: (p: StepPoint) => number | undefined, smooth: boolean): ChartSeries[] {
  const out: ChartSeries[] = [];
  series.stages.forEach((stage, i) => {
    const color = CHART_PALETTE[i % CHART_PALETTE.length]!;
    const pts = series.steps
      .filter((p) => p.stage === stage && pick(p) !== undefined)
      .map((p) => ({ x: p.x, y: pick(p)! }));
    if (pts.length === 0) return;
    const smoothed = smooth && pts.length >= 30;
    out.push({
      name: smoothed ? `${stage} (raw)` : stage,
      points: pts,
      color,
      opacity: smoothed ? 0.3 : 1,
      width: smoothed ? 1 : 2,
    });
    if (smoothed) {
      const s = ema(
        pts.map((p) => p.y),
        0.9,
      );
      out.push({ name: `${stage} (smoothed)`, points: pts.map((p, j) => ({ x: p.x, y: s[j]! })), color });
    }
  });
  return out;
}

/** The charts for a run (only those with data). */
export function runCharts(series: RunSeries): ReportChart[] {
  const charts: ReportChart[] = [];
  const step = (
    id: string,
    title: string,
    yLabel: string,
    pick: (p: StepPoint) => number | undefined,
    extra: Partial<LineChartSpec> = {},
  ): void => {
    const s = perStage(series, pick, id === 'loss');
    if (s.length > 0)
      charts.push({
        id,
        group: 'training',
        spec: { title, series: s, xLabel: 'optimizer step', yLabel, markers: series.stepMarkers, ...extra },
      });
  };
  step('loss', 'Training loss (log scale)', 'loss', (p) => p.loss, { logY: true });
  step('lr', 'Learning rate', 'lr', (p) => p.lr);
  step('grad-norm', 'Gradient norm (before clipping)', 'L2 norm', (p) => p.gradNorm);
  step('throughput', 'Throughput', 'tokens / s', (p) => p.tokensPerS);

  const names = sortMetrics(series.evals.flatMap((e) => Object.keys(e.metrics)));
  names.forEach((name, i) => {
    const pts = series.evals.filter((e) => e.metrics[name] !== undefined).map((e) => ({ x: e.x, y: e.metrics[name]! }));
    if (pts.length === 0) return;
    charts.push({
      id: `eval-${name}`,
      group: 'evaluation',
      spec: {
        title: metricLabel(name),
        series: [
          { name: metricLabel(name), points: pts, dots: true, color: CHART_PALETTE[(i + 2) % CHART_PALETTE.length]! },
        ],
        xLabel: 'epoch (both stages)',
        integerX: true,
        markers: series.evalMarkers,
        width: 420,
        height: 220,
      },
    });
  });
  return charts;
}
