/**
 * The run report page (pure): header with status and facts, final metrics as big number cards,
 * training and evaluation charts, the prediction gallery, warnings, what is missing, and the
 * config in a collapsible block. One self-contained HTML string: inline CSS and SVG, images as
 * data URIs, no script, nothing fetched.
 */
import { escapeHtml } from './escape-html.js';
import type { GalleryItem } from './gallery.js';
import { renderGallery } from './gallery.js';
import type { RunData } from './read-run.js';
import { REPORT_CSS } from './report-styles.js';
import type { ReportChart } from './run-charts.js';
import { formatMetric } from '../metrics/format-metric.js';
import { findMetric, metricLabel, sortMetrics } from '../metrics/metric-registry.js';
import { formatDurationS, type RunFacts } from './run-facts.js';
import { svgLineChart } from './svg-line-chart.js';

/** Everything the page is made of. */
export interface ReportModel {
  readonly run: RunData;
  readonly facts: RunFacts;
  readonly charts: readonly ReportChart[];
  readonly gallery: readonly GalleryItem[];
  readonly seed: number;
  /** ISO time the report was made (passed in so rendering stays pure). */
  readonly generatedAt: string;
}

function header(m: ReportModel): string {
  const { run, facts } = m;
  const status =
    facts.statusText && facts.statusText !== facts.status ? `${facts.status} · ${facts.statusText}` : facts.status;
  const items: string[] = [];
  for (const s of facts.stages)
    items.push(
      `<li>${escapeHtml(s.stage)}: <b>${s.steps}</b> steps, <b>${s.epochs}</b> epoch${s.epochs === 1 ? '' : 's'}</li>`,
    );
  if (facts.startedAt)
    items.push(`<li>started <b>${escapeHtml(facts.startedAt.replace('T', ' ').slice(0, 19))}</b> UTC</li>`);
  if (facts.durationS !== undefined) items.push(`<li>duration <b>${formatDurationS(facts.durationS)}</b></li>`);
  if (run.predictions.length > 0) {
    const eos = run.predictions.filter((p) => p.eosReached === true).length;
    items.push(`<li><b>${run.predictions.length}</b> predictions, <b>${eos}</b> reached EOS</li>`);
  }
  if (facts.bestCheckpoint) items.push(`<li>best checkpoint <b>${escapeHtml(facts.bestCheckpoint)}</b></li>`);
  return `<header class="top"><div><h1>${escapeHtml(run.name)}</h1><p class="sub">${escapeHtml(run.dir)} · report made ${escapeHtml(m.generatedAt)}</p></div><span class="status ${facts.status}">${escapeHtml(status)}</span></header>${items.length ? `<ul class="facts">${items.join('')}</ul>` : ''}`;
}

function metricCards(facts: RunFacts): string {
  const names = sortMetrics(Object.keys(facts.finalMetrics));
  if (names.length === 0)
    return '<h2>Final metrics</h2><p class="empty">No metrics yet (no metrics.json and no evaluation events).</p>';
  const cards = names
    .map(
      (k) =>
        `<div class="card${findMetric(k)?.headline ? ' primary' : ''}"><div class="k">${escapeHtml(metricLabel(k))}</div><div class="v">${formatMetric(k, facts.finalMetrics[k]!)}</div></div>`,
    )
    .join('');
  const note =
    facts.metricsSource === 'last evaluation'
      ? '<p class="hint">metrics.json is missing: these are the last evaluation\'s numbers.</p>'
      : '';
  return `<section id="metrics"><h2>Final metrics</h2><div class="cards">${cards}</div>${note}</section>`;
}

function notices(run: RunData): string {
  const lines: string[] = [];
  for (const f of run.missing) lines.push(`<li><code>${escapeHtml(f)}</code> is missing</li>`);
  for (const u of run.unreadable)
    lines.push(`<li><code>${escapeHtml(u.file)}</code> could not be read: ${escapeHtml(u.reason)}</li>`);
  for (const s of run.skipped) {
    const parts = [
      s.malformed ? `${s.malformed} malformed` : '',
      s.unknown ? `${s.unknown} of unknown type` : '',
    ].filter(Boolean);
    lines.push(
      `<li><code>${escapeHtml(s.file)}</code>: skipped ${parts.join(' and ')} line${s.malformed + s.unknown === 1 ? '' : 's'}</li>`,
    );
  }
  return lines.length
    ? `<section id="missing" class="notice"><b>Not everything is here</b><ul>${lines.join('')}</ul></section>`
    : '';
}

function chartSection(id: string, title: string, charts: readonly ReportChart[], cls: string, empty: string): string {
  const body = charts.length
    ? `<div class="charts ${cls}">${charts.map((c) => `<figure class="chart" id="chart-${escapeHtml(c.id)}" style="margin:0">${svgLineChart(c.spec)}</figure>`).join('')}</div>`
    : `<p class="empty">${escapeHtml(empty)}</p>`;
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

/** Render the report page. */
export function renderReport(m: ReportModel): string {
  const { run, facts } = m;
  const shown = m.gallery.length;
  const gallery = shown
    ? `<section id="samples"><h2>Samples <small class="hint">${shown} of ${run.predictions.length}, chosen with seed ${m.seed}</small></h2>${renderGallery(m.gallery)}</section>`
    : `<section id="samples"><h2>Samples</h2><p class="empty">No predictions (predictions.jsonl is ${run.missing.includes('predictions.jsonl') ? 'missing' : 'empty'}).</p></section>`;
  const warnings = facts.warnings.length
    ? `<section id="warnings"><h2>Warnings (${facts.warnings.length})</h2><ul class="warnings">${facts.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></section>`
    : '';
  const config = run.config
    ? `<section id="config"><h2>Config</h2><details><summary>config.json (${Object.keys(run.config).length} keys)</summary><pre>${escapeHtml(JSON.stringify(run.config, null, 2))}</pre></details></section>`
    : '';
  return [
    '<!doctype html>',
    '<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(run.name)} · kvc run report</title><style>${REPORT_CSS}</style></head><body><main>`,
    header(m),
    notices(run),
    metricCards(facts),
    chartSection(
      'training',
      'Training',
      m.charts.filter((c) => c.group === 'training'),
      'wide',
      'No training steps recorded (no step events and no training_log.csv rows).',
    ),
    chartSection(
      'evaluation',
      'Evaluation per epoch',
      m.charts.filter((c) => c.group === 'evaluation'),
      'small',
      'No evaluation recorded yet.',
    ),
    gallery,
    warnings,
    config,
    '<footer>kvc report · one self-contained file: nothing is loaded from the network</footer>',
    '</main></body></html>',
    '',
  ].join('\n');
}
