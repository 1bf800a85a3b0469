import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { validateRunConfig } from '../config/load-config.js';
import { Output } from '../output.js';
import { scoreCaptions } from './score-captions.js';

describe('scoreCaptions', () => {
  it('shows the scoring as progress and says where its time went (an eval-timings event with --json)', async () => {
    let stdout = '';
    let stderr = '';
    const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const out = new Output({ json: true, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
    const config = validateRunConfig({ eval: { metrics: ['meteor'] } }, 'test');
    const records = Array.from({ length: 40 }, (_, i) => ({
      id: `v${i}`,
      video: `v${i}.mp4`,
      prediction: `빨간 원 ${i}`,
      reference: '빨간 원이 움직인다',
    }));
    const dir = mkdtempSync(join(tmpdir(), 'kvc-score-'));
    const r = await scoreCaptions({ records, config, dir, out });
    expect(r.metrics.meteor).toBeGreaterThan(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = events.filter((e) => e.type === 'progress' && e.label === 'scoring captions');
    expect(progress.at(-1)).toMatchObject({ current: 40, total: 40 });
    const timings = events.filter((e) => e.type === 'eval-timings');
    expect(timings).toHaveLength(1);
    expect(timings[0]).toMatchObject({ scorers: {}, pureMs: expect.any(Number) });
    expect(stderr).toMatch(/^scoring took: pure metrics \d+\.\d s$/m);
    // Timings are not metrics.
    expect(Object.keys(JSON.parse(readFileSync(r.files.metrics, 'utf8')) as object)).not.toContain('pureMs');
  });
});
