/**
 * What `kvc train --resume [PATH]` names: nothing (the run in --out), a run folder, or one of its
 * checkpoint folders (`<run>/checkpoints/<name>`, the one with state.json), whose run folder is then
 * two levels up unless --out says otherwise.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ResumeTarget {
  /** The run folder to train in (undefined: the caller's default). */
  readonly runDir?: string;
  /** A specific checkpoint folder to continue from. */
  readonly resumeFrom?: string;
}

export function resumeTarget(resume: boolean | string | undefined, out: string | undefined): ResumeTarget {
  if (typeof resume !== 'string') return out ? { runDir: resolve(out) } : {};
  const path = resolve(resume);
  if (existsSync(join(path, 'state.json'))) {
    return { runDir: resolve(out ?? dirname(dirname(path))), resumeFrom: path };
  }
  return { runDir: resolve(out ?? path) };
}
