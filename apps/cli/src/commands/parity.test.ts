import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

const REF = new URL('../../../../test/fixtures/reference/', import.meta.url).pathname;

describe('kvc parity', () => {
  it('passes the meteor and adamw-cosine reference cases and prints every check', async () => {
    const m = await runCaptured(['parity', join(REF, 'meteor')]);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/PASS: all \d+ checks/);
    const a = await runCaptured(['parity', join(REF, 'optim'), '--json']);
    expect(a.code).toBe(0);
    const [report] = jsonLines(a.stdout);
    expect(report).toMatchObject({ type: 'parity', kind: 'adamw-cosine', pass: true });
    expect((report!.checks as unknown[]).length).toBeGreaterThan(10);
  });

  const MODEL_CASES = ['clip', 'tokenizer', 'nf4', 'nf4-double'];
  it.each(MODEL_CASES)('routes the model case %s to the models package on the cpu backend', async (name) => {
    const r = await runCaptured(['parity', join(REF, name), '--json']);
    expect(r.code).toBe(0);
    const [report] = jsonLines(r.stdout);
    expect(report).toMatchObject({ type: 'parity', pass: true });
    if (name === 'clip') expect(report).toMatchObject({ kind: 'clip-vision', backend: 'cpu' });
    if (name.startsWith('nf4')) expect(report).toMatchObject({ kind: 'nf4' });
  });

  it('runs a model case with f16 frozen weights where webgpu exists, and says why not elsewhere', async () => {
    // cpu is the f32 reference: f16 is refused there, before any weight is read.
    const cpu = await runCaptured(['parity', join(REF, 'clip'), '--precision', 'f16']);
    expect(cpu.code).toBe(1);
    expect(cpu.stderr).toMatch(/E_PRECISION_BACKEND/);
    const meteor = await runCaptured(['parity', join(REF, 'meteor'), '--precision', 'f16']);
    expect(meteor.stderr).toMatch(/E_BAD_ARGUMENT.*no f16 mode/);
    // The training trajectory has an f16 mode (train/trajectory-parity.test.ts runs it on lavapipe): cpu refuses it.
    const trajectory = await runCaptured(['parity', join(REF, 'trajectory'), '--precision', 'f16']);
    expect(trajectory.code).toBe(1);
    expect(trajectory.stderr).toMatch(/E_PRECISION_BACKEND/);
    // On lavapipe (CI: KVC_REQUIRE_WEBGPU=1) the f16 case passes against the f32 reference.
    if (process.env.KVC_REQUIRE_WEBGPU === '1') {
      const gpu = await runCaptured([
        'parity',
        join(REF, 'clip'),
        '--backend',
        'webgpu',
        '--precision',
        'f16',
        '--json',
      ]);
      expect(gpu.code, gpu.stderr).toBe(0);
      expect(jsonLines(gpu.stdout)[0]).toMatchObject({ kind: 'clip-vision', backend: 'webgpu', pass: true });
    }
  });

  it('exits 1 and names the failing check when the reference disagrees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-parity-'));
    cpSync(join(REF, 'meteor'), dir, { recursive: true });
    const file = join(dir, 'meteor_reference.json');
    const ref = JSON.parse(readFileSync(file, 'utf8')) as { corpus_meteor: number };
    ref.corpus_meteor += 1e-3; // a reference that our (correct) implementation cannot match
    writeFileSync(file, JSON.stringify(ref));
    const r = await runCaptured(['parity', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL: 1 of \d+ checks/);
  });

  it('gives a clear error for a folder without case.json or of an unknown kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-parity-'));
    const r = await runCaptured(['parity', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E_CASE_NOT_FOUND/);
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ kind: 'nope' }));
    const k = await runCaptured(['parity', dir]);
    expect(k.stderr).toMatch(/no parity runner for kind "nope"/);
  });
});
