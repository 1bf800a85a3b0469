import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resumeTarget } from './resume-target.js';

describe('resumeTarget (kvc train --resume [PATH])', () => {
  it('takes --out, a run folder, or a checkpoint folder whose run is two levels up', () => {
    const run = mkdtempSync(join(tmpdir(), 'kvc-resume-'));
    const ckpt = join(run, 'checkpoints', 'step-00000012');
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(join(ckpt, 'state.json'), '{}');
    expect(resumeTarget(undefined, undefined)).toEqual({});
    expect(resumeTarget(true, 'runs/a')).toEqual({ runDir: resolve('runs/a') });
    expect(resumeTarget(run, undefined)).toEqual({ runDir: run });
    expect(resumeTarget(ckpt, undefined)).toEqual({ runDir: run, resumeFrom: ckpt });
    expect(resumeTarget(ckpt, 'elsewhere')).toEqual({ runDir: resolve('elsewhere'), resumeFrom: ckpt });
  });
});
