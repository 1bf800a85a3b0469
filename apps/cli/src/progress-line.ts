/** Pure formatting of one progress bar line (label, bar, count, rate, ETA). */

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export interface ProgressState {
  label: string;
  current: number;
  total: number;
  elapsedMs: number;
  status?: string;
  width?: number;
}

/** Units a second so far, and the time left at that rate (NaN while unknown). Pure. */
export function progressRate(p: Pick<ProgressState, 'current' | 'total' | 'elapsedMs'>): {
  perSecond: number;
  etaMs: number;
} {
  const perSecond = p.elapsedMs > 0 ? (p.current * 1000) / p.elapsedMs : 0;
  const etaMs = p.total > 0 && perSecond > 0 ? (Math.max(0, p.total - p.current) / perSecond) * 1000 : NaN;
  return { perSecond, etaMs };
}

export function progressLine(p: ProgressState): string {
  const width = Math.max(40, p.width ?? 80);
  const { perSecond: rate, etaMs } = progressRate(p);
  const count = p.total > 0 ? `${p.current}/${p.total}` : `${p.current}`;
  const tail = ` ${count} ${rate.toFixed(rate < 10 ? 2 : 0)}/s ${formatDuration(p.elapsedMs)}<${p.total > 0 ? formatDuration(etaMs) : '?'}${p.status ? ' ' + p.status : ''}`;
  const barWidth = Math.max(10, Math.min(30, width - p.label.length - tail.length - 4));
  const frac = p.total > 0 ? Math.min(1, p.current / p.total) : 0;
  const filled = Math.round(frac * barWidth);
  const bar = '█'.repeat(filled) + '░'.repeat(barWidth - filled);
  return `${p.label} ${bar}${tail}`.slice(0, width - 1);
}
