/**
 * A finished (or stopped) run folder, read back for inference: its resolved config.json
 * (validated again, with `key=value` overrides for what may change at inference — data root,
 * generation, metrics) and the checkpoint folder to load: `best` (<run>/best), `last` (what
 * <run>/checkpoints/latest names) or any folder holding projector.safetensors + adapter/.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ADAPTER_DIR, CheckpointStore, PROJECTOR_FILE } from '@kvc/train';
import { CliError } from '../cli-error.js';
import { applyOverride, validateRunConfig } from '../config/load-config.js';
import type { RunConfig } from '../config/run-config.js';

export interface TrainedRun {
  readonly runDir: string;
  readonly config: RunConfig;
  /** The checkpoint folder to load, and a short name for output folders (best, final, step-00000012, ...). */
  readonly checkpoint: { readonly dir: string; readonly name: string };
}

/** Reads `<runDir>/config.json` and resolves `checkpoint` (default `best`). */
export async function openTrainedRun(
  runDir: string,
  checkpoint = 'best',
  overrides: readonly string[] = [],
): Promise<TrainedRun> {
  const dir = resolve(runDir);
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) {
    throw new CliError(
      'E_RUN_NOT_FOUND',
      `${dir} is not a run folder (no config.json)`,
      { run: dir },
      'give the --out folder of a `kvc train` run',
    );
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliError('E_RUN_CONFIG', `cannot read the run's config: ${(err as Error).message}`, { file: configFile });
  }
  for (const o of overrides) applyOverride(raw, o);
  const config = validateRunConfig(raw, configFile);
  return { runDir: dir, config, checkpoint: await resolveCheckpoint(dir, checkpoint) };
}

/** `best` | `last` | a folder path → the checkpoint folder, checked to hold the model files. */
export async function resolveCheckpoint(runDir: string, which: string): Promise<{ dir: string; name: string }> {
  let dir: string;
  let name: string;
  if (which === 'best') {
    dir = join(runDir, 'best');
    name = 'best';
  } else if (which === 'last') {
    const latest = await new CheckpointStore(join(runDir, 'checkpoints')).resolve('latest');
    if (!latest) {
      throw new CliError(
        'E_NO_CHECKPOINT',
        'the run has no complete checkpoint yet',
        { run: runDir, pointer: join(runDir, 'checkpoints', 'latest') },
        'train it first (`kvc train ... --out RUN`), or pass --checkpoint PATH',
      );
    }
    dir = latest;
    name = basename(latest);
  } else {
    dir = resolve(which);
    name = basename(dir);
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CliError(
      'E_NO_CHECKPOINT',
      `checkpoint ${which} not found`,
      { run: runDir, checkpoint: dir },
      which === 'best'
        ? 'best/ is written after the first evaluated epoch of stage 2; try --checkpoint last'
        : 'use best, last, or a checkpoint folder path',
    );
  }
  for (const f of [PROJECTOR_FILE, join(ADAPTER_DIR, 'adapter_model.safetensors')]) {
    if (!existsSync(join(dir, f))) {
      throw new CliError(
        'E_CHECKPOINT_INCOMPLETE',
        `checkpoint ${name} has no ${f}`,
        { checkpoint: dir, missing: f },
        'a checkpoint folder holds projector.safetensors and adapter/ (PEFT format)',
      );
    }
  }
  return { dir, name };
}
