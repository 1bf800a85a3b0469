/**
 * The run-folder lock: `<run>/run.lock`, created with O_EXCL and holding the writer's pid,
 * hostname and start time, so two processes never train into one folder (one's prune would delete
 * the other's checkpoints and their events would interleave). A lock left by a dead process on
 * this host is taken over with a warning; a live holder's lock is refused with E_RUN_LOCKED.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TrainError } from '../errors.js';

export const RUN_LOCK_FILE = 'run.lock';

/** What a lock file says about its holder. */
export interface RunLockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

/** A held lock; `release()` removes the file (once; also on process exit). */
export interface RunLock {
  readonly path: string;
  /** Set when a stale lock of a dead process was taken over. */
  readonly warning?: { readonly code: 'W_STALE_RUN_LOCK'; readonly message: string };
  release(): void;
}

/** Takes the lock of `runDir` (which must exist) or throws E_RUN_LOCKED naming the holder. */
export function acquireRunLock(runDir: string): RunLock {
  const path = join(runDir, RUN_LOCK_FILE);
  const me: RunLockHolder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  let warning: RunLock['warning'];
  if (!tryCreate(path, me)) {
    const holder = readHolder(path);
    if (!holder || holder.hostname !== me.hostname || isAlive(holder.pid)) throw lockedError(path, holder);
    // Dead holder on this host (a kill -9, a second Ctrl-C): take its lock over. If another
    // process takes it over at the same moment, exactly one O_EXCL create below wins.
    unlinkSync(path);
    if (!tryCreate(path, me)) throw lockedError(path, readHolder(path));
    const message = `took over the lock of a dead process (pid ${holder.pid}, started ${holder.startedAt}): ${path}`;
    warning = { code: 'W_STALE_RUN_LOCK', message };
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Remove only our own lock (never one a later process took over).
    if (readHolder(path)?.pid === me.pid) unlinkSync(path);
  };
  process.on('exit', release);
  return { path, ...(warning ? { warning } : {}), release };
}

function tryCreate(path: string, me: RunLockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(me) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder, or undefined when the file is gone or unreadable (e.g. caught mid-write). */
function readHolder(path: string): RunLockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<RunLockHolder>;
    if (typeof h.pid !== 'number' || typeof h.hostname !== 'string') return undefined;
    return { pid: h.pid, hostname: h.hostname, startedAt: String(h.startedAt) };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(path: string, holder: RunLockHolder | undefined): TrainError {
  const who = holder ? `pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}` : 'an unknown process';
  const hint = holder
    ? `wait for it to finish or stop it (kill -INT ${holder.pid}), or train into another --out; ` +
      `if no such process runs, delete ${path}`
    : `another process is creating the lock; if none runs, delete ${path}`;
  const context = { lock: path, pid: holder?.pid ?? null, hostname: holder?.hostname ?? null };
  return new TrainError('E_RUN_LOCKED', `the run folder is in use by ${who}`, context, hint);
}
