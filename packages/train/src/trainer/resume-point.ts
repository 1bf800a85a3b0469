/**
 * Where a run folder's training continues from. Normally the checkpoint `latest` names; when that
 * pointer is missing or garbled, or its state.json is missing or unreadable, the newest complete
 * checkpoint instead, with a warning (never a silent fresh start). A folder whose checkpoints are
 * all unusable is refused with E_NO_USABLE_CHECKPOINT, so neither --resume nor a fresh run
 * overwrites what may still be recovered by hand.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_FILE, type CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { TrainError } from '../errors.js';
import { OPTIMIZER_HEADER, PROJECTOR_FILE } from './train-checkpoint.js';
import type { TrainState } from './trainer-types.js';

export interface ResumePoint {
  readonly dir: string;
  readonly state: TrainState;
  /** Why `latest` was not used, when the point is a fallback. */
  readonly warning?: { readonly code: 'W_RESUME_FALLBACK'; readonly message: string };
}

/** The checkpoint to continue from; undefined when the folder holds no checkpoint at all. */
export async function findResumePoint(store: CheckpointStore, runDir: string): Promise<ResumePoint | undefined> {
  const pointer = join(store.root, 'latest');
  const names = existsSync(store.root)
    ? (await readdir(store.root, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
    : [];
  if (!existsSync(pointer) && names.length === 0) return undefined;

  let problem: string;
  if (!existsSync(pointer)) problem = 'the `latest` pointer is missing';
  else {
    const target = (await readFile(pointer, 'utf8')).trim();
    const tried = names.includes(target) ? await readCheckpoint(join(store.root, target)) : undefined;
    if (tried && 'state' in tried) return tried;
    problem = tried
      ? `\`latest\` names ${target}, whose ${tried.problem}`
      : `\`latest\` is garbled or names no checkpoint`;
  }

  const problems: Record<string, string> = {};
  let best: ResumePoint | undefined;
  for (const name of names) {
    const r = await readCheckpoint(join(store.root, name));
    if ('problem' in r) problems[name] = r.problem;
    else if (!best || newer(r.state, best.state)) best = r;
  }
  if (!best) {
    const context = { runDir, checkpoints: store.root, problems };
    const hint =
      `inspect or move ${store.root} by hand (a checkpoint needs a valid ${STATE_FILE} and its weights), ` +
      'or start a new run with another --out';
    const message = `cannot resume or start over: ${problem}, and no checkpoint in ${store.root} is usable`;
    throw new TrainError('E_NO_USABLE_CHECKPOINT', message, context, hint);
  }
  const message = `${problem}: resuming from ${best.dir}, the newest complete checkpoint`;
  return { ...best, warning: { code: 'W_RESUME_FALLBACK', message } };
}

/** The checkpoint in `dir` (a `--resume PATH`), or E_NO_USABLE_CHECKPOINT saying what is wrong with it. */
export async function resumePointAt(dir: string): Promise<ResumePoint> {
  const r = await readCheckpoint(dir);
  if ('state' in r) return r;
  const hint = `name a checkpoint folder (one with ${STATE_FILE}, under <run>/checkpoints/), or the run folder itself`;
  throw new TrainError('E_NO_USABLE_CHECKPOINT', `cannot resume from ${dir}: ${r.problem}`, { checkpoint: dir }, hint);
}

/** A checkpoint folder's state, or what makes it unusable. */
async function readCheckpoint(dir: string): Promise<ResumePoint | { readonly problem: string }> {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return { problem: `${STATE_FILE} is missing` };
  let state: Partial<TrainState>;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as Partial<TrainState>;
  } catch {
    return { problem: `${STATE_FILE} is not valid JSON` };
  }
  const fields = ['stageIndex', 'epoch', 'batch', 'stageStep', 'globalStep'] as const;
  if (state?.version !== 1 || fields.some((k) => typeof state[k] !== 'number')) {
    return { problem: `${STATE_FILE} is not a training state (version 1)` };
  }
  if (!existsSync(join(dir, PROJECTOR_FILE))) return { problem: `${PROJECTOR_FILE} is missing` };
  if (!state.finished && !existsSync(join(dir, OPTIMIZER_HEADER))) return { problem: `${OPTIMIZER_HEADER} is missing` };
  return { dir, state: state as TrainState };
}

/** Later in training: more optimizer steps, then finished over not, then saved later. */
function newer(a: TrainState, b: TrainState): boolean {
  if (a.globalStep !== b.globalStep) return a.globalStep > b.globalStep;
  if (a.finished !== b.finished) return a.finished;
  return String(a.savedAt) > String(b.savedAt);
}
