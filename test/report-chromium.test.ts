/**
 * The run report in a real browser: a synthetic run folder (three real videos from the synthetic
 * dataset generator, generated events / CSV / predictions / metrics) → `writeRunReport` → headless
 * Debian Chromium. `--dump-dom` must show the charts (SVG with paths), the thumbnails (data-URI
 * PNGs that decode) and the Korean captions, and nothing a caption smuggled in as markup; a
 * screenshot must be a real, non-blank picture. Without Chromium (or without a Korean font) this
 * test fails and says what to install: a browser test that silently passes proves nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, planSynth, synthDataset } from '@kvc/video-io';
import { writeRunReportWithSummary, type RunReportSummary } from '@kvc/eval';

const run = promisify(execFile);
const CHROMIUM = process.env.KVC_CHROMIUM ?? '/usr/bin/chromium';
const SYNTH = { train: 0, val: 3, seed: 7, size: 64, frames: 8 } as const;
const EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>';

/** A run folder like the trainer writes: two stages, per-epoch evaluation, final predictions. */
async function syntheticRun(root: string): Promise<{ runDir: string; captions: string[] }> {
  const data = join(root, 'data');
  await lastValueFrom(synthDataset({ out: data, ...SYNTH }), { defaultValue: undefined });
  const samples = planSynth({ out: data, ...SYNTH }).filter((s) => s.split === 'val');
  const runDir = join(root, 'runs', 'demo-run');
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'config.json'), JSON.stringify({ name: 'demo-run', preset: 'demo', prompt: '이 영상을 자세히 설명해주세요.', stage1: { epochs: 2, lr: 1e-3 }, stage2: { epochs: 2, lr: 5e-5 } }, null, 2));

  const events: unknown[] = [{ type: 'run-start', time: '2025-01-01T00:00:00Z' }];
  const csv = ['stage,epoch,train_loss,siglip_score,diversity,lr,timestamp,step,meteor,bertscore_f1,cider,eos_rate,grad_norm,tokens_per_s,elapsed_s'];
  let t = 0;
  for (const [stage, peak, epochs] of [['stage1', 1e-3, 2], ['stage2', 5e-5, 2]] as const) {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let step = 1; step <= 40; step++) {
        const g = (epoch - 1) * 40 + step;
        const loss = (stage === 'stage1' ? 3 : 1.2) * Math.exp(-g / 50) + 0.4 + 0.15 * Math.sin(g * 1.7);
        const lr = peak * (g <= 8 ? g / 8 : 0.5 * (1 + Math.cos((Math.PI * (g - 8)) / (epochs * 40 - 8))));
        events.push({ type: 'step', stage, epoch, step: g, loss, lr, gradNorm: 1 + Math.cos(g), tokensPerS: 900 + 50 * Math.sin(g), memoryMB: 512, time: new Date(Date.UTC(2025, 0, 1, 0, 0, t++)).toISOString() });
      }
      const metrics = { meteor: 0.1 + 0.05 * epoch + (stage === 'stage2' ? 0.1 : 0), siglip: 0.05 + 0.01 * epoch, bertscore_f1: 0.6 + 0.02 * epoch, diversity: 0.5, eos_rate: stage === 'stage2' ? 0.9 : 0.4, cider: 0.2 * epoch };
      events.push({ type: 'epoch', stage, epoch, trainLoss: 1, elapsedS: t }, { type: 'evaluation', stage, epoch, metrics }, { type: 'checkpoint', stage, epoch, path: `ckpt/${stage}-e${epoch}`, best: epoch === epochs });
      csv.push(`${stage},${epoch},1,${metrics.siglip},0.5,${peak},2025-01-01T00:00:00Z,${epoch * 40},${metrics.meteor},${metrics.bertscore_f1},${metrics.cider},${metrics.eos_rate},,900,${t}`);
    }
  }
  events.push({ type: 'warning', message: `stage2: 3 captions hit max_new_tokens ${EVIL}` }, { type: 'gpu-telemetry', util: 0.9 }, { type: 'run-end', status: 'completed', time: new Date(Date.UTC(2025, 0, 1, 0, 0, t)).toISOString() });
  await writeFile(join(runDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"step","stage"\n');
  await writeFile(join(runDir, 'training_log.csv'), csv.join('\n') + '\n');

  // Videos by absolute path, by a path relative to the run, and one that does not exist.
  const videos = samples.map((s, i) => {
    const abs = join(data, 'val', 'videos', `${s.id}.mp4`);
    return i === 1 ? relative(runDir, abs) : abs;
  });
  const preds = samples.map((s, i) => ({ id: s.id, video: videos[i], prediction: s.caption.replace('움직', '이동'), reference: s.caption, metrics: { meteor: 0.3 + i / 10, bertscore_f1: 0.7, siglip: 0.08, cider: 0.5 }, eos_reached: i !== 2 }));
  preds.push({ id: 'missing-video', video: join(data, 'val', 'videos', 'nope.mp4'), prediction: EVIL, reference: '없는 영상', metrics: { meteor: 0, bertscore_f1: 0, siglip: 0, cider: 0 }, eos_reached: false });
  await writeFile(join(runDir, 'predictions.jsonl'), preds.map((p) => JSON.stringify(p)).join('\n') + '\n');
  await writeFile(join(runDir, 'metrics.json'), JSON.stringify({ meteor: 0.31, bertscore_f1: 0.71, siglip: 0.081, diversity: 0.52, distinct_1: 0.4, distinct_2: 0.6, eos_rate: 0.75, cider: 0.43, bleu_4: 0.12, rouge_l: 0.33 }));
  return { runDir, captions: samples.map((s) => s.caption) };
}

/** Headless Chromium with a fresh profile and everything that phones home turned off. */
async function chromium(profile: string, ...args: string[]): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`];
  const { stdout } = await run(CHROMIUM, [...flags, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe('run report in headless Chromium', () => {
  let root: string;
  let report: string;
  let summary: RunReportSummary;
  let captions: string[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get update && apt-get install -y chromium) or set KVC_CHROMIUM to its path`);
    root = mkdtempSync(join(tmpdir(), 'kvc-report-chromium-'));
    const made = await syntheticRun(root);
    captions = made.captions;
    ({ path: report, summary } = await writeRunReportWithSummary(made.runDir, { samples: 12 }));
  });
  afterAll(() => {
    if (root && !process.env.KVC_KEEP_REPORT) rmSync(root, { recursive: true, force: true });
  });

  it('has a Korean font, so captions are drawn as Hangul and not as boxes', async () => {
    const { stdout } = await run('fc-list', [':lang=ko', 'family']).catch((err: unknown) => ({ stdout: `fc-list failed: ${(err as Error).message}` }));
    expect(stdout.trim().length > 0 && !stdout.startsWith('fc-list failed'), `no Korean font for Chromium: install one (Debian: apt-get install -y fonts-noto-cjk). ${stdout}`).toBe(true);
  });

  it('summarizes what it drew', () => {
    expect(summary).toMatchObject({ name: 'demo-run', status: 'finished', samples: 4, samplesWithoutFrames: 1, missing: [], skippedLines: 2, warnings: 1 });
    expect(summary.chartIds).toEqual(expect.arrayContaining(['loss', 'lr', 'grad-norm', 'throughput', 'eval-meteor', 'eval-siglip']));
  });

  it('renders charts, decodable thumbnails, Korean captions, and no injected markup', async () => {
    const dom = await chromium(join(root, 'profile-dom'), '--dump-dom', `file://${report}`);
    const svgs = dom.match(/<svg[^>]*class="kvc-chart"[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(summary.charts);
    for (const svg of svgs) expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+L/);
    const srcs = [...dom.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => m[1]!);
    expect(srcs).toHaveLength(3 * 3);
    for (const b64 of srcs) {
      const png = decodePng(Buffer.from(b64, 'base64'));
      expect(Math.min(png.width, png.height)).toBe(64);
    }
    for (const c of captions) expect(dom).toContain(c);
    expect(dom).toContain('video not found');
    expect(dom).not.toMatch(/<script|<img src="?x[ ">]/);
    expect(dom).toContain('&lt;script&gt;');
  });

  it('takes a non-trivial screenshot', async () => {
    const shot = join(root, 'report.png');
    await chromium(join(root, 'profile-shot'), `--screenshot=${shot}`, '--window-size=1280,2000', '--hide-scrollbars', `file://${report}`);
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([1280, 2000]);
    const colors = new Set<number>();
    for (let i = 0; i < png.data.length; i += 3 * 97) colors.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
    expect(colors.size).toBeGreaterThan(50);
  });
});
