/**
 * `kvc demo` checks the user's overrides (and --backend) before it builds anything: a bad key
 * fails at once with the config error, and the output folder stays empty (no dataset, no models).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvc-cli-demo-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('kvc demo', () => {
  it('refuses an unknown key before building the dataset or the models', async () => {
    const out = join(dir, 'bogus-key');
    const r = await runCaptured(['demo', '--out', out, 'train.bogus=1', '--json']);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_CONFIG_INVALID' });
    expect(r.stderr).toMatch(/train\.bogus: unknown key/);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('refuses a bad --backend and a prototype-polluting key the same way', async () => {
    const backend = await runCaptured(['demo', '--out', join(dir, 'backend'), '--backend', 'tpu']);
    expect(backend.code).toBe(1);
    expect(backend.stderr).toMatch(/\[E_CONFIG_INVALID\][\s\S]*backend/);
    const proto = await runCaptured(['demo', '--out', join(dir, 'proto'), '__proto__.x=1']);
    expect(proto.code).toBe(1);
    expect(proto.stderr).toContain('[E_CONFIG_OVERRIDE]');
    expect(await readdir(dir)).toEqual([]);
  });
});
