// The meteor parity runner passes on the reference case and fails when METEOR is mutated or the
// case folder is wrong, so it can tell parity from its absence.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParityCaseError } from '../errors.js';
import { runMeteorParity } from './meteor-parity.js';

const caseDir = fileURLToPath(new URL('../../../../test/fixtures/reference/meteor/', import.meta.url));

describe('runMeteorParity', () => {
  it('passes on the nltk reference case', async () => {
    const report = await runMeteorParity(caseDir);
    expect(report.kind).toBe('meteor');
    expect(report.checks.filter((c) => !c.pass)).toEqual([]);
    expect(report.pass).toBe(true);
    const names = report.checks.map((c) => c.name);
    expect(names).toContain('pair[0].pred_tokens');
    expect(names).toContain('pair[0].meteor');
    expect(names.at(-1)).toBe('corpus_meteor');
  });

  it('fails with alpha = 0.8 and names the diverging checks', async () => {
    const report = await runMeteorParity(caseDir, { alpha: 0.8 });
    expect(report.pass).toBe(false);
    const failed = report.checks.filter((c) => !c.pass).map((c) => c.name);
    expect(failed).toContain('corpus_meteor');
    // Tokens do not depend on alpha.
    expect(failed.some((n) => n.endsWith('_tokens'))).toBe(false);
    expect(report.checks.find((c) => c.name === 'corpus_meteor')?.detail).toMatch(/expected/);
  });

  it('fails on token mismatches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meteor-case-'));
    await writeFile(join(dir, 'case.json'), JSON.stringify({ kind: 'meteor', reference: 'r.json' }));
    const cases = [
      {
        prediction: '고양이가 앉았다.',
        reference: '고양이가 앉았다.',
        pred_tokens: ['고양이가', '앉았다.'],
        ref_tokens: ['고양이가', '앉았다', '.'],
        meteor: 0,
      },
    ];
    await writeFile(join(dir, 'r.json'), JSON.stringify({ corpus_meteor: 0, cases }));
    const report = await runMeteorParity(dir);
    expect(report.pass).toBe(false);
    const pred = report.checks.find((c) => c.name === 'pair[0].pred_tokens');
    expect(pred?.pass).toBe(false);
    expect(pred?.maxAbs).toBe(2);
    expect(report.checks.find((c) => c.name === 'pair[0].ref_tokens')?.pass).toBe(true);
  });

  it('rejects folders that are not meteor cases', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meteor-case-'));
    await expect(runMeteorParity(dir)).rejects.toBeInstanceOf(ParityCaseError);
    await writeFile(join(dir, 'case.json'), JSON.stringify({ kind: 'bert' }));
    await expect(runMeteorParity(dir)).rejects.toMatchObject({ code: 'E_PARITY_CASE' });
    await writeFile(join(dir, 'case.json'), JSON.stringify({ kind: 'meteor', reference: 'x.json' }));
    await writeFile(join(dir, 'x.json'), JSON.stringify({ cases: [{}] }));
    await expect(runMeteorParity(dir)).rejects.toThrow(/lacks cases/);
  });
});
