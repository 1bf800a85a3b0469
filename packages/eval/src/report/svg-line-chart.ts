/**
 * A pure line chart: series of (x, y) points → one inline `<svg>` string with a title, axes,
 * gridlines, tick labels, a legend, dashed vertical markers (stage boundaries) and a hover
 * tooltip per point (`<title>`, which every browser shows without any script). Non-finite
 * points (and non-positive ones on a log scale) break the line instead of faking a value.
 */
import { downsampleMinMax, formatNumber, formatTicks, logTicks, niceTicks } from './chart-scale.js';
import { escapeHtml } from './escape-html.js';

/** One line. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  /** CSS color (default: from the palette, by position). */
  readonly color?: string;
  /** Draw every point as a visible dot (for short series such as per-epoch metrics). */
  readonly dots?: boolean;
  /** Line opacity (default 1); raw values under a smoothed line read better faint. */
  readonly opacity?: number;
  /** Line width in px (default 2). */
  readonly width?: number;
}

/** A dashed vertical line with a label (e.g. where stage 2 starts). */
export interface ChartMarker {
  readonly x: number;
  readonly label: string;
}

/** What to draw. */
export interface LineChartSpec {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Log-scale y axis (for losses). */
  readonly logY?: boolean;
  readonly markers?: readonly ChartMarker[];
  /** Ticks on whole x values only (epochs, steps). */
  readonly integerX?: boolean;
  /** Formats y tick labels and tooltips (default: compact numbers). */
  readonly formatY?: (v: number) => string;
  readonly width?: number;
  readonly height?: number;
  /** Show the legend (default: when there is more than one series). */
  readonly legend?: boolean;
  /** Most points drawn per line before min/max downsampling (default 1500). */
  readonly maxPoints?: number;
}

/** Colors that stay distinct for common color blindness (Okabe–Ito, reordered). */
export const CHART_PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#555555'] as const;

const r1 = (v: number): string => String(Math.round(v * 10) / 10);
/** Width estimate of a label: CJK characters are about twice as wide as Latin ones. */
const textWidth = (s: string, px: number): number =>
  [...s].reduce((w, c) => w + (c.charCodeAt(0) > 0x2e80 ? px : px * 0.6), 0);

/** Draw a line chart as an SVG string (pure). */
export function svgLineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 640;
  const H = spec.height ?? 260;
  const fmtY = spec.formatY ?? formatNumber;
  const usable = (p: { x: number; y: number }): boolean =>
    Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.logY || p.y > 0);
  const all = spec.series.flatMap((s) => s.points.filter(usable));
  const markers = (spec.markers ?? []).filter((m) => Number.isFinite(m.x));

  // Legend on the title row when it fits, else on a row of its own.
  const showLegend = spec.legend ?? spec.series.length > 1;
  const legendItems = spec.series.map((s, i) => ({
    s,
    color: s.color ?? CHART_PALETTE[i % CHART_PALETTE.length]!,
    w: 22 + textWidth(s.name, 11) + 14,
  }));
  const legendW = showLegend ? legendItems.reduce((w, l) => w + l.w, 0) : 0;
  const ownRow = showLegend && textWidth(spec.title, 14) + legendW + 24 > W - 16;
  const m = { left: 58, right: 16, top: ownRow ? 50 : 34, bottom: spec.xLabel ? 44 : 28 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="kvc-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(spec.title)}" font-family="inherit">`,
  );
  out.push(
    `<text x="${m.left}" y="20" font-size="14" font-weight="600" fill="#1f2328">${escapeHtml(spec.title)}</text>`,
  );
  let lx = W - m.right - legendW;
  const ly = ownRow ? 38 : 16;
  for (const l of showLegend ? legendItems : []) {
    out.push(
      `<g class="legend"><line x1="${r1(lx)}" y1="${ly}" x2="${r1(lx + 16)}" y2="${ly}" stroke="${l.color}" stroke-width="3" stroke-opacity="${l.s.opacity ?? 1}"/><text x="${r1(lx + 21)}" y="${ly + 4}" font-size="11" fill="#444">${escapeHtml(l.s.name)}</text></g>`,
    );
    lx += l.w;
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#d0d7de"/>`);
  if (all.length === 0) {
    out.push(
      `<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" font-size="13" fill="#888">no data</text></svg>`,
    );
    return out.join('');
  }

  // Loops, not Math.min(...xs): a long run has more points than a call may take arguments.
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of all) [x0, x1, y0, y1] = [Math.min(x0, p.x), Math.max(x1, p.x), Math.min(y0, p.y), Math.max(y1, p.y)];
  for (const k of markers) [x0, x1] = [Math.min(x0, k.x), Math.max(x1, k.x)];
  const xt = niceTicks(x0, x1, 6, spec.integerX ? 1 : 0);
  const yt = spec.logY ? logTicks(y0, y1) : niceTicks(y0, y1, 5);
  const sx = (x: number): number => m.left + ((x - xt.min) / (xt.max - xt.min)) * pw;
  const sy = spec.logY
    ? (y: number): number =>
        m.top + ph - ((Math.log10(y) - Math.log10(yt.min)) / (Math.log10(yt.max) - Math.log10(yt.min))) * ph
    : (y: number): number => m.top + ph - ((y - yt.min) / (yt.max - yt.min)) * ph;

  const yLabels = spec.formatY ? yt.ticks.map(spec.formatY) : formatTicks(yt.ticks);
  yt.ticks.forEach((t, i) => {
    const y = r1(sy(t));
    out.push(
      `<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eaeef2"/><text x="${m.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11" fill="#57606a">${escapeHtml(yLabels[i])}</text>`,
    );
  });
  const xLabels = formatTicks(xt.ticks);
  xt.ticks.forEach((t, i) => {
    const x = r1(sx(t));
    out.push(
      `<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 4}" stroke="#8c959f"/><text x="${x}" y="${m.top + ph + 16}" text-anchor="middle" font-size="11" fill="#57606a">${xLabels[i]}</text>`,
    );
  });
  if (spec.xLabel)
    out.push(
      `<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="11" fill="#57606a">${escapeHtml(spec.xLabel)}</text>`,
    );
  if (spec.yLabel)
    out.push(
      `<text transform="translate(13 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11" fill="#57606a">${escapeHtml(spec.yLabel)}</text>`,
    );
  for (const k of markers) {
    const x = r1(sx(k.x));
    out.push(
      `<g class="marker"><line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#6e7781" stroke-dasharray="4 3"/><text x="${Number(x) + 4}" y="${m.top + 12}" font-size="10" fill="#57606a">${escapeHtml(k.label)}</text></g>`,
    );
  }

  legendItems.forEach(({ s, color }) => {
    // Split into runs of usable points: a NaN or a non-positive value on log scale is a gap.
    const runs: { x: number; y: number }[][] = [[]];
    for (const p of s.points) {
      if (usable(p)) runs[runs.length - 1]!.push(p);
      else if (runs[runs.length - 1]!.length > 0) runs.push([]);
    }
    const maxPoints = spec.maxPoints ?? 1500;
    const d = runs
      .filter((run) => run.length > 0)
      .map((run) => downsampleMinMax(run, Math.max(4, Math.floor((maxPoints * run.length) / Math.max(1, all.length)))))
      .map((run) => run.map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(sx(p.x))} ${r1(sy(p.y))}`).join(''))
      .join('');
    const pts = s.points.filter(usable);
    if (pts.length > 1)
      out.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.width ?? 2}" stroke-opacity="${s.opacity ?? 1}" stroke-linejoin="round" stroke-linecap="round"><title>${escapeHtml(s.name)}</title></path>`,
      );
    // Hover targets (at most ~300 a line) and visible dots where asked or where a line has one point.
    const visible = s.dots === true || pts.length === 1;
    const every = Math.max(1, Math.ceil(pts.length / 300));
    pts.forEach((p, i) => {
      if (i % every !== 0 && i !== pts.length - 1) return;
      out.push(
        `<circle class="pt" cx="${r1(sx(p.x))}" cy="${r1(sy(p.y))}" r="${visible ? 3.5 : 4}" fill="${color}" fill-opacity="${visible ? 1 : 0}"><title>${escapeHtml(s.name)} · x ${formatNumber(p.x)} · ${escapeHtml(fmtY(p.y))}</title></circle>`,
      );
    });
  });
  out.push('</svg>');
  return out.join('');
}
