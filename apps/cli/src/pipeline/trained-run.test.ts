/**
 * Reading a run folder back for inference: config.json validated (with overrides), and the
 * checkpoint resolved from best | last | a path, each failure with its own code and a hint.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTrainedRun, resolveCheckpoint } from './trained-run.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function checkpoint(dir: string, state = false): Promise<void> {
  await mkdir(join(dir, 'adapter'), { recursive: true });
  await writeFile(join(dir, 'projector.safetensors'), '');
  await writeFile(join(dir, 'adapter', 'adapter_model.safetensors'), '');
  if (state) await writeFile(join(dir, 'state.json'), '{}');
}

/** A run folder: config.json, and optionally best/ and checkpoints/step-00000003 named by `latest`. */
async function runFolder(o: { best?: boolean; last?: boolean } = {}): Promise<string> {
  const run = await mkdtemp(join(tmpdir(), 'kvc-trained-run-'));
  dirs.push(run);
  await writeFile(join(run, 'config.json'), JSON.stringify({ name: 'r', generation: { maxNewTokens: 16 } }));
  if (o.best) await checkpoint(join(run, 'best'));
  if (o.last) {
    await checkpoint(join(run, 'checkpoints', 'step-00000003'), true);
    await writeFile(join(run, 'checkpoints', 'latest'), 'step-00000003\n');
  }
  return run;
}

describe('openTrainedRun', () => {
  it('reads the config, applies overrides and resolves best by default', async () => {
    const run = await runFolder({ best: true });
    const r = await openTrainedRun(run, undefined, ['generation.maxNewTokens=64']);
    expect(r.config.name).toBe('r');
    expect(r.config.generation.maxNewTokens).toBe(64);
    expect(r.checkpoint).toEqual({ dir: join(run, 'best'), name: 'best' });
  });

  it('refuses a folder without config.json and an unknown override key', async () => {
    const run = await runFolder({ best: true });
    await expect(openTrainedRun(join(run, 'best'))).rejects.toMatchObject({ code: 'E_RUN_NOT_FOUND' });
    await expect(openTrainedRun(run, 'best', ['generation.maxNewToken=3'])).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining('maxNewTokens'),
    });
  });
});

describe('resolveCheckpoint', () => {
  it('last follows checkpoints/latest; a path is taken as given', async () => {
    const run = await runFolder({ last: true });
    expect(await resolveCheckpoint(run, 'last')).toEqual({
      dir: join(run, 'checkpoints', 'step-00000003'),
      name: 'step-00000003',
    });
    expect(await resolveCheckpoint(run, join(run, 'checkpoints', 'step-00000003'))).toEqual({
      dir: join(run, 'checkpoints', 'step-00000003'),
      name: 'step-00000003',
    });
  });

  it('says what is missing: best/, a latest pointer, a folder, the model files', async () => {
    const run = await runFolder();
    await expect(resolveCheckpoint(run, 'best')).rejects.toMatchObject({
      code: 'E_NO_CHECKPOINT',
      hint: expect.stringContaining('--checkpoint last'),
    });
    await expect(resolveCheckpoint(run, 'last')).rejects.toMatchObject({ code: 'E_NO_CHECKPOINT' });
    await expect(resolveCheckpoint(run, join(run, 'nope'))).rejects.toMatchObject({ code: 'E_NO_CHECKPOINT' });
    await mkdir(join(run, 'half'));
    await writeFile(join(run, 'half', 'projector.safetensors'), '');
    await expect(resolveCheckpoint(run, join(run, 'half'))).rejects.toMatchObject({
      code: 'E_CHECKPOINT_INCOMPLETE',
      context: { missing: join('adapter', 'adapter_model.safetensors') },
    });
  });
});
