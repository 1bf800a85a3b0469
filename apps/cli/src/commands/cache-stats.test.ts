import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureCache } from '@kvc/feature-cache';
import { run } from '../main.js';

/** Runs `kvc ...args` in-process, capturing stdout and stderr. */
async function kvc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
  try {
    const code = await run(args);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function smallCache(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kvc-cli-cache-'));
  dirs.push(dir);
  const path = join(dir, 'features');
  const cache = await FeatureCache.open(path);
  await cache.put('a', { data: new Float32Array(6).fill(1), shape: [2, 3] });
  await cache.put('b', { data: new Float32Array(8).fill(2), shape: [8] }, { dtype: 'float16' });
  cache.get('a');
  cache.get('missing');
  await cache.close();
  return path;
}

describe('kvc cache-stats', () => {
  it('--json prints exactly one JSON line with the stats', async () => {
    const path = await smallCache();
    const r = await kvc('cache-stats', '--cache', path, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      type: 'cache-stats',
      path,
      entries: 2,
      bytes: 24 + 16,
      byDtype: { float32: { entries: 1, bytes: 24 }, float16: { entries: 1, bytes: 16 } },
      lifetime: { hits: 1, misses: 1, writes: 2, hitRate: 0.5 },
    });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('session'); // cache-stats's own read-only session: always 0
  });

  it('prints a human report', async () => {
    const path = await smallCache();
    const r = await kvc('cache-stats', '--cache', path);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`feature cache ${path}`);
    expect(r.stdout).toMatch(/entries\s+2 \(float32: 1, float16: 1\)/);
    expect(r.stdout).toMatch(/hit rate\s+50\.0% of 2 lookups/);
  });

  it('a missing cache is a clear error with a hint (and a JSON error line with --json)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-cli-cache-'));
    dirs.push(dir);
    const r = await kvc('cache-stats', '--cache', join(dir, 'nope'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[E_CACHE_NOT_FOUND]');
    expect(r.stderr).toMatch(/hint: .*kvc cache/);
    const j = await kvc('cache-stats', '--cache', join(dir, 'nope'), '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout.trim())).toMatchObject({ type: 'error', code: 'E_CACHE_NOT_FOUND' });
  });
});
