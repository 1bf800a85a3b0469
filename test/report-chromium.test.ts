/**
 * The run report in a real browser, of a run folder the real trainer wrote: `kvc train` on the
 * tiny setup (two stages, stage 2 evaluated every epoch, final predictions), then
 * `writeRunReport` → headless Debian Chromium. So the report is checked against the schema
 * production writes, not one a test invented: training_log.csv must hold CIDEr-D (`cider_d`, the
 * registry key) and the measured throughput in every evaluated row, and the page must show CIDEr-D
 * as a headline card and an evaluation chart. `--dump-dom` must show the charts (SVG with paths),
 * thumbnails (data-URI PNGs that decode), the Korean captions, and none of the markup the run's
 * name smuggled in; a screenshot must be a real, non-blank picture. Without Chromium (or without
 * a Korean font) this test fails and says what to install: a browser test that silently passes
 * proves nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, probeVideo } from '@kvc/video-io';
import { findMetric, formatMetric, parseRunEvents, parseTrainingLogCsv, writeRunReportWithSummary } from '@kvc/eval';
import type { RunReportSummary } from '@kvc/eval';
import { kvc, makeTinySetup, tinyTrainArgs } from './helpers/tiny-setup.js';

const run = promisify(execFile);
const CHROMIUM = process.env.KVC_CHROMIUM ?? '/usr/bin/chromium';
const EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>';
const CIDER = findMetric('cider')!;

interface Prediction {
  id: string;
  video: string;
  prediction: string;
  reference: string;
}

/** Headless Chromium with a fresh profile and everything that phones home turned off. */
async function chromium(profile: string, ...args: string[]): Promise<string> {
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    `--user-data-dir=${profile}`,
  ];
  const { stdout } = await run(CHROMIUM, [...flags, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe('run report of a real tiny run, in headless Chromium', () => {
  let root: string;
  let runDir: string;
  let report: string;
  let summary: RunReportSummary;
  let predictions: Prediction[];
  let moved: Prediction;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      const install = 'install it (Debian: apt-get update && apt-get install -y chromium) or set KVC_CHROMIUM';
      throw new Error(`Chromium not found at ${CHROMIUM}: ${install}`);
    }
    root = mkdtempSync(join(tmpdir(), 'kvc-report-chromium-'));
    const setup = await makeTinySetup(root, { train: 8, val: 3 });
    runDir = join(root, 'runs', 'tiny-run');
    // The run's name is free text that reaches the page: it carries markup that must stay text.
    const trained = await kvc([...tinyTrainArgs(setup, runDir, [`name=${EVIL}`]), '--json']);
    expect(trained.code, trained.stderr.slice(-3000)).toBe(0);
    const lines = (await readFile(join(runDir, 'predictions.jsonl'), 'utf8')).trim().split('\n');
    predictions = lines.map((l) => JSON.parse(l) as Prediction);
    // One video moved away after the run: its card must say so instead of failing the report.
    moved = predictions.at(-1)!;
    await rename(moved.video, `${moved.video}.moved`);
    ({ path: report, summary } = await writeRunReportWithSummary(runDir, { samples: 12 }));
  }, 600_000);
  afterAll(() => {
    if (root && !process.env.KVC_KEEP_REPORT) rmSync(root, { recursive: true, force: true });
  });

  it('has a Korean font, so captions are drawn as Hangul and not as boxes', async () => {
    const failed = (err: unknown) => ({ stdout: `fc-list failed: ${(err as Error).message}` });
    const { stdout } = await run('fc-list', [':lang=ko', 'family']).catch(failed);
    const why = `no Korean font for Chromium: install one (Debian: apt-get install -y fonts-noto-cjk). ${stdout}`;
    expect(stdout.trim().length > 0 && !stdout.startsWith('fc-list failed'), why).toBe(true);
  });

  it('reads a training_log.csv whose evaluated rows hold CIDEr-D as evaluated, and the throughput', async () => {
    const log = parseTrainingLogCsv(await readFile(join(runDir, 'training_log.csv'), 'utf8'));
    expect(log.columns).toContain(CIDER.key);
    expect(log.columns).not.toContain('cider');
    expect(log.malformed).toBe(0);
    const events = parseRunEvents(await readFile(join(runDir, 'events.jsonl'), 'utf8')).events;
    const evaluations = events.filter((e) => e.type === 'evaluation');
    expect(evaluations.length).toBeGreaterThan(0);
    for (const e of evaluations) {
      const row = log.rows.find((r) => r.stage === e.stage && r.values.epoch === e.epoch);
      expect(row, `${e.stage} epoch ${e.epoch}`).toBeDefined();
      expect(e.metrics[CIDER.key]).toBeTypeOf('number');
      expect(row!.values[CIDER.key]).toBe(e.metrics[CIDER.key]);
    }
    for (const r of log.rows) expect(r.values.tokens_per_s).toBeGreaterThan(0);
  });

  it('summarizes what it drew, CIDEr-D chart included', async () => {
    const events = parseRunEvents(await readFile(join(runDir, 'events.jsonl'), 'utf8')).events;
    const warnings = events.filter((e) => e.type === 'warning').length;
    const samples = predictions.length;
    const drawn = { samples, samplesWithoutFrames: 1, missing: [], skippedLines: 0, warnings };
    expect(summary).toMatchObject({ name: EVIL, status: 'finished', ...drawn });
    const charts = ['loss', 'lr', 'grad-norm', 'throughput', 'eval-meteor', `eval-${CIDER.key}`];
    expect(summary.chartIds).toEqual(expect.arrayContaining(charts));
  });

  it('renders charts, a CIDEr-D card, decodable thumbnails, Korean captions, and no injected markup', async () => {
    const dom = await chromium(join(root, 'profile-dom'), '--dump-dom', `file://${report}`);
    const svgs = dom.match(/<svg[^>]*class="kvc-chart"[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(summary.charts);
    for (const svg of svgs) expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+L/);
    expect(dom).toContain(`id="chart-eval-${CIDER.key}"`);

    const metrics = JSON.parse(await readFile(join(runDir, 'metrics.json'), 'utf8')) as Record<string, number>;
    const value = formatMetric(CIDER.key, metrics[CIDER.key]!);
    const card = `<div class="card primary"><div class="k">${CIDER.label}</div><div class="v">${value}</div></div>`;
    expect(dom).toContain(card);

    const shown = predictions.filter((p) => p !== moved);
    const probe = await firstValueFrom(probeVideo(shown[0]!.video));
    const srcs = [...dom.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => m[1]!);
    expect(srcs).toHaveLength(shown.length * 3);
    for (const b64 of srcs) {
      const png = decodePng(Buffer.from(b64, 'base64'));
      expect(Math.min(png.width, png.height)).toBe(Math.min(96, probe.width, probe.height));
    }
    for (const p of predictions) expect(dom).toContain(p.reference);
    expect(dom).toContain('video not found');
    expect(dom).not.toMatch(/<script|<img src="?x[ ">]/);
    expect(dom).toContain('&lt;script&gt;');
  });

  it('takes a non-trivial screenshot', async () => {
    const shot = join(root, 'report.png');
    const args = [`--screenshot=${shot}`, '--window-size=1280,2000', '--hide-scrollbars', `file://${report}`];
    await chromium(join(root, 'profile-shot'), ...args);
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([1280, 2000]);
    const colors = new Set<number>();
    for (let i = 0; i < png.data.length; i += 3 * 97) {
      colors.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
    }
    expect(colors.size).toBeGreaterThan(50);
  });
});
