/**
 * `kvc cache` on a tiny synthetic dataset with a tiny random CLIP tower: every usable video is
 * encoded once, a second run finds them all cached, an undecodable video and a bad label are
 * reported as skips, `--json` keeps stdout JSON, and `kvc cache-stats` sees the entries.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyClipVision } from '../demo/write-tiny-clip-vision.js';
import { SKIP_CODES, synthDataset } from '@kvc/video-io';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';
import { formatCacheSummary, formatCacheTiming } from './cache.js';

let dir: string;
let data: string;
let clip: string;
let cacheDir: string;
const args = (): string[] => [
  'cache',
  '--data',
  data,
  `vision.model=${clip}`,
  `features.cacheDir=${cacheDir}`,
  'features.dtype=float32',
  'backend=cpu',
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvc-cli-cachecmd-'));
  data = join(dir, 'data');
  clip = join(dir, 'clip');
  cacheDir = join(dir, 'cache');
  await lastValueFrom(synthDataset({ out: data, train: 3, val: 2, seed: 5, size: 32, frames: 4, fps: 4 }), {
    defaultValue: undefined,
  });
  const labels = join(data, 'train', 'labels');
  const first = (await readdir(labels)).sort()[0]!;
  await writeFile(join(labels, 'broken_video.json'), await readFile(join(labels, first)));
  await writeFile(join(data, 'train', 'videos', 'broken_video.mp4'), 'not a video');
  await writeFile(join(labels, 'broken_label.json'), '{"annotation": ');
  await writeTinyClipVision(clip, { seed: 2, imageSize: 16, patchSize: 8, hiddenSize: 16, numLayers: 1, numHeads: 2 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kvc cache', () => {
  it('encodes every usable video, reports the skips, then finds everything cached', async () => {
    const first = await runCaptured([...args(), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const lines = jsonLines(first.stdout);
    const result = lines.at(-1)! as {
      type: string;
      entries: number;
      splits: {
        split: string;
        samples: number;
        hits: number;
        encoded: number;
        skipped: number;
        skips: { id: string; reason: string }[];
        timing: {
          wallMs: number;
          decodeMs: number;
          encodeMs: number;
          encodeHostMs: number;
          encodeWaitMs: number;
          decodeSlots: number;
        };
      }[];
    };
    expect(result.type).toBe('result');
    // Each split's time, split between stages that overlap: each within the wall time (the decoders' over their slots).
    for (const { timing: t } of result.splits) {
      expect(t.wallMs).toBeGreaterThan(0);
      expect(t.encodeMs).toBeGreaterThan(0);
      expect(t.decodeMs).toBeGreaterThan(0);
      expect(t.encodeMs).toBeLessThanOrEqual(t.wallMs);
      // The encoder's host part and its wait for the features are parts of its time.
      expect(t.encodeHostMs).toBeGreaterThan(0);
      expect(t.encodeWaitMs).toBeGreaterThanOrEqual(0);
      expect(t.encodeHostMs + t.encodeWaitMs).toBeLessThanOrEqual(t.encodeMs);
      expect(t.decodeMs).toBeLessThanOrEqual(t.wallMs * t.decodeSlots);
    }
    expect(result.entries).toBe(5);
    const [train, val] = result.splits;
    expect(train).toMatchObject({ split: 'train', samples: 4, hits: 0, encoded: 3, skipped: 2 });
    expect(train!.skips.map((s) => s.id).sort()).toEqual(['broken_label', 'broken_video']);
    expect(train!.skips.find((s) => s.id === 'broken_label')!.reason).toContain('E_LABEL_INVALID_JSON');
    expect(val).toMatchObject({ split: 'val', samples: 2, hits: 0, encoded: 2, skipped: 0 });
    expect(lines.filter((l) => l.type === 'skip').map((l) => l.id)).toEqual(
      expect.arrayContaining(['broken_label', 'broken_video']),
    );
    // Every skip, the decoder's included, carries one of video-io's listed codes (it once said 'undecodable-video').
    const skipEvents = lines.filter((l) => l.type === 'skip') as { id: string; code: string }[];
    expect(skipEvents.find((l) => l.id === 'broken_video')).toMatchObject({ code: 'E_VIDEO_UNDECODABLE' });
    for (const l of skipEvents) expect(SKIP_CODES).toContain(l.code);
    expect(train!.skips.find((s) => s.id === 'broken_video')!.reason).toMatch(/^\[E_VIDEO_UNDECODABLE\] /);

    const second = await runCaptured(args());
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('train    4 samples: 3 cached already, 0 encoded, 2 skipped');
    expect(second.stdout).toContain('val      2 samples: 2 cached already, 0 encoded, 0 skipped');
    expect(second.stdout).not.toContain('videos/s'); // nothing encoded: no speed line
    expect(second.stdout).toContain(`kvc cache-stats --cache ${cacheDir}`);

    const stats = await runCaptured(['cache-stats', '--cache', cacheDir, '--json']);
    const st = jsonLines(stats.stdout)[0]!;
    expect(st).toMatchObject({ entries: 5, byDtype: { float32: { entries: 5 } } });
    // cache-stats counts what the runs reported: the first run's hits, then every entry "cached already"
    // in the second; each encoded video was written once
    const firstHits = result.splits.reduce((n, sp) => n + sp.hits, 0);
    const encoded = result.splits.reduce((n, sp) => n + sp.encoded, 0);
    expect(st.lifetime).toMatchObject({ hits: firstHits + result.entries, writes: encoded });
    expect(st).not.toHaveProperty('session'); // its own read-only session is always zero
  });

  it('reads manifests and Hugging Face folders too: same videos, same keys, refused paths reported', async () => {
    const videos = (await readdir(join(data, 'train', 'videos'))).filter((v) => v.startsWith('synth')).sort();
    const lines = [...videos.map((v) => JSON.stringify({ video: `videos/${v}`, caption: '캡션' }))];
    lines.push(JSON.stringify({ video: '../val/videos/x.mp4', caption: '밖', id: 'outside' }));
    await writeFile(join(data, 'train', 'list.jsonl'), lines.join('\n'));
    const manifest = join(data, 'train', 'list.jsonl');
    const r = await runCaptured([...args().map((a) => (a === data ? manifest : a)), '--split', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [split] = (jsonLines(r.stdout).at(-1) as { splits: Record<string, unknown>[] }).splits;
    expect(split).toMatchObject({ split: 'list', samples: 3, hits: 3, encoded: 0, skipped: 1 });
    expect(split!.skips).toEqual([
      expect.objectContaining({ id: 'outside', reason: expect.stringMatching(/OUTSIDE/) }),
    ]);

    // The val videos again, as a Hugging Face folder: cached already (same keys), and encoded into a fresh cache
    // with two decodes at once.
    const meta = (await readdir(join(data, 'val', 'videos'))).map((v) => ({ file_name: `videos/${v}`, caption: 'c' }));
    await writeFile(join(data, 'val', 'metadata.jsonl'), meta.map((m) => JSON.stringify(m)).join('\n'));
    const hfArgs = (cache: string) =>
      args().map((a) => (a === data ? join(data, 'val', 'metadata.jsonl') : a.replace(cacheDir, cache)));
    const again = await runCaptured([...hfArgs(cacheDir), '--split', 'train', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const [hits] = (jsonLines(again.stdout).at(-1) as { splits: Record<string, unknown>[] }).splits;
    expect(hits).toMatchObject({ samples: 2, hits: 2, encoded: 0, skipped: 0 });
    const fresh = [...hfArgs(join(dir, 'cache-hf')), '--split', 'train', 'features.decodeConcurrency=2', '--json'];
    const hf = await runCaptured(fresh);
    expect(hf.code, hf.stderr).toBe(0);
    const [encoded] = (jsonLines(hf.stdout).at(-1) as { splits: Record<string, unknown>[] }).splits;
    expect(encoded).toMatchObject({ samples: 2, hits: 0, encoded: 2, skipped: 0 });
  });

  it('--split picks the splits', async () => {
    const r = await runCaptured([...args(), '--split', 'val', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = jsonLines(r.stdout).at(-1)! as { splits: { split: string }[] };
    expect(result.splits.map((s) => s.split)).toEqual(['val']);
  });

  it('an empty --split and a missing split folder are errors', async () => {
    const empty = await runCaptured([...args(), '--split', ',']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('[E_BAD_ARGUMENT]');
    const missing = await runCaptured([...args(), '--split', 'test', '--json']);
    expect(missing.code).toBe(1);
    expect(jsonLines(missing.stdout).at(-1)).toMatchObject({ type: 'error' });
    expect(missing.stderr).toContain('test');
  });

  it('says the speed and which stage was busy, where something was encoded', () => {
    const t = { wallMs: 10_000, decodeMs: 60_000, encodeMs: 4_000, decodeSlots: 8, decodeIn: 'workers' as const };
    expect(formatCacheTiming(15, t)).toBe(
      '10.0 s, 1.50 videos/s; encoder busy 40% of it, decoders 75% (8 at once, in worker threads)',
    );
    expect(formatCacheTiming(15, { ...t, decodeIn: 'main' })).toContain('(8 at once, in the main thread)');
    expect(formatCacheTiming(15, { ...t, encodeHostMs: 2_500, encodeWaitMs: 1_400 })).toBe(
      '10.0 s, 1.50 videos/s; encoder busy 40% of it (host 2.5 s, waiting for the features 1.4 s), ' +
        'decoders 75% (8 at once, in worker threads)',
    );
    expect(formatCacheTiming(0, t)).toBeUndefined();
    const text = formatCacheSummary(
      '/c',
      [{ split: 'val', samples: 15, hits: 0, encoded: 15, skipped: 0, skips: [], timing: t }],
      15,
    );
    expect(text.split('\n')[2]).toBe(
      '           10.0 s, 1.50 videos/s; encoder busy 40% of it, decoders 75% (8 at once, in worker threads)',
    );
  });

  it('formats one line per split and one per skip', () => {
    const text = formatCacheSummary(
      '/c',
      [
        {
          split: 'train',
          samples: 2,
          hits: 1,
          encoded: 0,
          skipped: 1,
          skips: [{ id: 'x', file: '/x.mp4', reason: '[E] bad' }],
        },
      ],
      1,
    );
    expect(text.split('\n')).toEqual([
      'feature cache /c (1 entries)',
      '  train    2 samples: 1 cached already, 0 encoded, 1 skipped',
      '  skipped train/x: [E] bad',
      'details: kvc cache-stats --cache /c',
    ]);
  });
});
