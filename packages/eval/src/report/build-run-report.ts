/**
 * `buildRunReport` / `writeRunReport`: read a run folder, derive its charts, decode thumbnails
 * for a seeded choice of predictions, and render the one-file HTML report.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadGallery } from './gallery.js';
import { pickSamples } from './pick-samples.js';
import { readRun } from './read-run.js';
import { ReportOptionError } from './report-errors.js';
import { renderReport } from './render-report.js';
import { runCharts } from './run-charts.js';
import { runFacts, type RunStatus } from './run-facts.js';
import { runSeries } from './run-series.js';
import { videoThumbnails, type ThumbnailProvider } from './video-thumbnails.js';

/** Options of {@link buildRunReport}. */
export interface RunReportOptions {
  /** Predictions shown in the gallery (default 12). */
  readonly samples?: number;
  /** Seed of the gallery's choice (default 0). */
  readonly seed?: number;
  /** Frames per gallery sample (default 3). */
  readonly framesPerSample?: number;
  /** Thumbnail short side in pixels (default 96). */
  readonly thumbnailPx?: number;
  /** Extra folders to look for relative video paths in (after the run folder and the cwd). */
  readonly videoRoots?: readonly string[];
  /** Makes thumbnails (default: ffmpeg through @kvc/video-io). */
  readonly thumbnails?: ThumbnailProvider;
  /** The time printed on the report (default: now). */
  readonly now?: Date;
}

/** What the report contains, for the CLI and for tests. */
export interface RunReportSummary {
  readonly runDir: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly charts: number;
  readonly chartIds: readonly string[];
  readonly samples: number;
  /** Samples shown without frames (video missing or undecodable). */
  readonly samplesWithoutFrames: number;
  readonly missing: readonly string[];
  readonly skippedLines: number;
  readonly warnings: number;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new ReportOptionError(`${name} must be an integer in [${min}, ${max}], got ${v}`, { [name]: v });
}

/** Build the report of the run in `runDir` (the HTML and a summary). */
export async function buildRunReport(
  runDir: string,
  opts: RunReportOptions = {},
): Promise<{ html: string; summary: RunReportSummary }> {
  const samples = opts.samples ?? 12;
  const seed = opts.seed ?? 0;
  const frames = opts.framesPerSample ?? 3;
  const sizePx = opts.thumbnailPx ?? 96;
  checkInt('samples', samples, 0, 1000);
  checkInt('seed', seed, 0, 2 ** 32 - 1);
  checkInt('framesPerSample', frames, 1, 16);
  checkInt('thumbnailPx', sizePx, 16, 512);

  const run = await readRun(runDir);
  const facts = runFacts(run);
  const charts = runCharts(runSeries(run));
  const chosen = pickSamples(run.predictions, samples, seed);
  const gallery = await loadGallery(chosen, run.dir, opts.thumbnails ?? videoThumbnails, {
    frames,
    sizePx,
    videoRoots: (opts.videoRoots ?? []).map((r) => resolve(r)),
  });
  const html = renderReport({
    run,
    facts,
    charts,
    gallery,
    seed,
    generatedAt: (opts.now ?? new Date()).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
  });
  return {
    html,
    summary: {
      runDir: run.dir,
      name: run.name,
      status: facts.status,
      charts: charts.length,
      chartIds: charts.map((c) => c.id),
      samples: gallery.length,
      samplesWithoutFrames: gallery.filter((g) => g.frames.length === 0).length,
      missing: run.missing,
      skippedLines: run.skipped.reduce((n, s) => n + s.malformed + s.unknown, 0),
      warnings: facts.warnings.length,
    },
  };
}

/** Write the report to `out` (default `<runDir>/report.html`) atomically; returns its path and summary. */
export async function writeRunReport(
  runDir: string,
  opts: RunReportOptions & { readonly out?: string } = {},
): Promise<string> {
  return (await writeRunReportWithSummary(runDir, opts)).path;
}

/** {@link writeRunReport}, also returning the summary (what the CLI prints with `--json`). */
export async function writeRunReportWithSummary(
  runDir: string,
  opts: RunReportOptions & { readonly out?: string } = {},
): Promise<{ path: string; summary: RunReportSummary }> {
  const { html, summary } = await buildRunReport(runDir, opts);
  const path = resolve(opts.out ?? join(summary.runDir, 'report.html'));
  // Write beside, then rename: a browser refreshing the page never sees half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, html, 'utf8');
  await rename(tmp, path);
  return { path, summary };
}
