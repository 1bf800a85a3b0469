/**
 * Pure axis math for the report's charts: "nice" linear ticks (1, 2, 5 × 10^k steps), log-scale
 * ticks, compact number labels, and min/max downsampling so a 50 000-step loss curve stays a
 * small SVG path without hiding its spikes.
 */

/** A scale's domain and the tick values to label. */
export interface AxisTicks {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
}

/** The nice step (1, 2, 2.5 or 5 × 10^k) nearest to `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10) * p;
}

/**
 * Round away float noise (0.30000000000000004 → 0.3) relative to the step. Up to toFixed's 100
 * digits: a cap of 15 rounded tiny ranges (BLEU of an untrained model, ~1e-17) to one point.
 */
function clean(v: number, step: number): number {
  const digits = Math.max(0, Math.min(100, -Math.floor(Math.log10(step)) + 2));
  return Number(v.toFixed(digits));
}

/**
 * Linear ticks covering [lo, hi] with about `count` intervals; the domain is widened to the
 * outer ticks. A flat range (lo == hi) is widened around the value so it still gets an axis.
 * `minStep` (e.g. 1 for epochs) keeps ticks off fractional values.
 */
export function niceTicks(lo: number, hi: number, count = 5, minStep = 0): AxisTicks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { min: 0, max: 1, ticks: [0, 0.5, 1] };
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = Math.max(minStep, niceStep((hi - lo) / Math.max(1, count)));
  const min = clean(Math.floor(lo / step + 1e-9) * step, step);
  const max = clean(Math.ceil(hi / step - 1e-9) * step, step);
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step * 1e-9; i++) ticks.push(clean(min + i * step, step));
  return { min, max, ticks };
}

/**
 * Log-scale ticks for positive [lo, hi]: powers of ten, with 2× and 5× added when the range
 * spans fewer than three decades; when even those give fewer than two ticks (a range like
 * 0.6–0.9), nice linear ticks inside the range are used. The domain is the data range, padded
 * 5% in log space. Non-positive input falls back to [1e-3, 1].
 */
export function logTicks(lo: number, hi: number): AxisTicks {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return logTicks(1e-3, 1);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) [lo, hi] = [lo / 1.5, hi * 1.5];
  const pad = (Math.log10(hi) - Math.log10(lo)) * 0.05;
  const min = 10 ** (Math.log10(lo) - pad);
  const max = 10 ** (Math.log10(hi) + pad);
  const decades = Math.log10(max) - Math.log10(min);
  const mults = decades < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  if (ticks.length >= 2) return { min, max, ticks };
  const inner = niceTicks(lo, hi, 4).ticks.filter((t) => t >= min && t <= max && t > 0);
  return { min, max, ticks: inner };
}

/** A short label: 0, 12, 1.5k, 2.3M, 0.125, 5e-5. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a < 1e-3) {
    const [m, e] = v.toExponential(1).split('e');
    return `${m!.replace(/\.0$/, '')}e${e}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** Labels for one axis: when any tick needs an exponent, all do, so 1e-3 does not sit above 8e-4. */
export function formatTicks(ticks: readonly number[]): string[] {
  const tiny = ticks.some((t) => t !== 0 && Math.abs(t) < 1e-3);
  if (!tiny) return ticks.map(formatNumber);
  return ticks.map((t) => {
    if (t === 0) return '0';
    const [m, e] = t.toExponential(1).split('e');
    return `${m!.replace(/\.0$/, '')}e${e}`;
  });
}

/**
 * Keep at most `maxPoints` points: per bucket of consecutive points, the lowest and the highest
 * (in x order), so spikes survive. Input shorter than the limit is returned as is.
 */
export function downsampleMinMax<P extends { readonly x: number; readonly y: number }>(
  points: readonly P[],
  maxPoints: number,
): readonly P[] {
  if (points.length <= maxPoints || maxPoints < 4) return points;
  const buckets = Math.floor(maxPoints / 2);
  const size = points.length / buckets;
  const out: P[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = points[from]!;
    let hi = lo;
    for (let i = from + 1; i < to; i++) {
      const p = points[i]!;
      if (p.y < lo.y) lo = p;
      if (p.y > hi.y) hi = p;
    }
    if (lo === hi) out.push(lo);
    else out.push(...(lo.x <= hi.x ? [lo, hi] : [hi, lo]));
  }
  return out;
}
