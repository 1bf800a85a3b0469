import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunReport, writeRunReportWithSummary } from './build-run-report.js';
import { pickSamples } from './pick-samples.js';
import type { ThumbnailProvider } from './video-thumbnails.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kvc-build-report-'));
  dirs.push(d);
  return d;
}

/** A provider that needs no ffmpeg: one tiny fake URI per frame, and a failure for "broken" videos. */
const fake: ThumbnailProvider = async (file, { frames }) => {
  if (file.includes('broken')) throw new Error('moov atom not found\nmore stderr');
  return Array.from({ length: frames }, (_, i) => `data:image/png;base64,FAKE${i}`);
};

describe('pickSamples', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  it('is seeded, keeps file order, and takes all when there are few', () => {
    const a = pickSamples(items, 12, 0);
    expect(a).toHaveLength(12);
    expect(pickSamples(items, 12, 0)).toEqual(a);
    expect(pickSamples(items, 12, 1)).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(new Set(a).size).toBe(12);
    expect(pickSamples(items.slice(0, 5), 12, 0)).toEqual([0, 1, 2, 3, 4]);
    expect(pickSamples(items, 0, 0)).toEqual([]);
  });
});

describe('buildRunReport', () => {
  it('an empty run folder still gives a page that says what is missing', async () => {
    const d = tmp();
    const { html, summary } = await buildRunReport(d, { thumbnails: fake });
    expect(summary).toMatchObject({
      charts: 0,
      samples: 0,
      status: 'unknown',
      missing: ['config.json', 'events.jsonl', 'training_log.csv', 'predictions.jsonl', 'metrics.json'],
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<code>metrics.json</code> is missing');
    expect(html).toContain('No predictions');
  });

  it('gallery: frames, placeholders for missing or broken videos, escaped captions, EOS badges', async () => {
    const d = tmp();
    writeFileSync(join(d, 'ok.mp4'), '');
    writeFileSync(join(d, 'broken.mp4'), '');
    const lines = [
      {
        id: 'a',
        video: 'ok.mp4',
        prediction: '빨간 원이 <b>움직인다</b>',
        reference: '빨간 원',
        metrics: { meteor: 0.5 },
        eos_reached: true,
      },
      { id: 'b', video: 'gone.mp4', prediction: 'x', reference: 'y', metrics: {}, eos_reached: false },
      { id: 'c', video: 'broken.mp4', prediction: 'x', reference: 'y', metrics: {} },
      { id: 'd', prediction: 'no video', reference: 'y', metrics: {} },
    ];
    writeFileSync(join(d, 'predictions.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const { html, summary } = await buildRunReport(d, { thumbnails: fake, framesPerSample: 2 });
    expect(summary).toMatchObject({ samples: 4, samplesWithoutFrames: 3 });
    expect(html.match(/<img src="data:image\/png;base64,FAKE/g)).toHaveLength(2);
    expect(html).toContain('빨간 원이 &lt;b&gt;움직인다&lt;/b&gt;');
    expect(html).not.toContain('<b>움직인다');
    expect(html).toContain('video not found: gone.mp4');
    expect(html).toContain('could not decode broken.mp4: moov atom not found');
    expect(html).not.toContain('more stderr');
    expect(html).toContain('no video path in predictions.jsonl');
    expect(html).toContain('class="badge ok"');
    expect(html).toContain('class="badge bad"');
  });

  it('metric cards from metrics.json, or from the last evaluation when it is missing', async () => {
    const d = tmp();
    writeFileSync(
      join(d, 'events.jsonl'),
      '{"type":"evaluation","stage":"stage1","epoch":1,"metrics":{"meteor":0.25,"eos_rate":0.5}}\n',
    );
    const partial = await buildRunReport(d, { thumbnails: fake });
    expect(partial.html).toContain('the last evaluation');
    expect(partial.html).toContain('>50.0%<');
    expect(partial.summary.status).toBe('running');
    writeFileSync(join(d, 'metrics.json'), '{"meteor":0.3125}');
    const full = await buildRunReport(d, { thumbnails: fake });
    expect(full.html).toContain('>0.313<');
    expect(full.html).not.toContain('the last evaluation');
  });

  it('config is pretty-printed, escaped and collapsible; warnings are listed escaped', async () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), JSON.stringify({ prompt: '이 영상을 <자세히> 설명해주세요.' }));
    writeFileSync(
      join(d, 'events.jsonl'),
      '{"type":"warning","message":"<img src=x>"}\n{"type":"run-end","status":"failed","error":"OOM"}\n',
    );
    const { html, summary } = await buildRunReport(d, { thumbnails: fake });
    expect(html).toMatch(
      /<details><summary>config\.json \(1 keys\)<\/summary><pre>\{\n {2}&quot;prompt&quot;: &quot;이 영상을 &lt;자세히&gt; 설명해주세요.&quot;\n\}<\/pre><\/details>/,
    );
    expect(html).toContain('<li>&lt;img src=x&gt;</li>');
    expect(summary).toMatchObject({ status: 'failed', warnings: 1 });
  });

  it('rejects bad options with E_REPORT_OPTION', async () => {
    await expect(buildRunReport(tmp(), { samples: -1 })).rejects.toMatchObject({ code: 'E_REPORT_OPTION' });
    await expect(buildRunReport(tmp(), { thumbnailPx: 1.5 })).rejects.toMatchObject({ code: 'E_REPORT_OPTION' });
  });

  it('writes <run>/report.html by default, or --out', async () => {
    const d = tmp();
    const a = await writeRunReportWithSummary(d, { thumbnails: fake });
    expect(a.path).toBe(join(d, 'report.html'));
    expect(readFileSync(a.path, 'utf8')).toMatch(/^<!doctype html>/);
    const b = await writeRunReportWithSummary(d, { thumbnails: fake, out: join(d, 'other.html') });
    expect(existsSync(b.path)).toBe(true);
  });
});
