/**
 * The run-folder lock: a second writer is refused with E_RUN_LOCKED naming the holder's pid and
 * the lock file, with a hint; release frees it (only the holder's own file is removed); a lock of
 * a dead process on this host is taken over with a warning, one of another host is not; and the
 * trainer refuses a locked folder before touching it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrainError } from '../errors.js';
import { RUN_LOCK_FILE, acquireRunLock } from './run-lock.js';
import { runTraining } from './run-training.js';
import type { TrainerOptions } from './trainer-types.js';

const lockError = (f: () => unknown): TrainError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TrainError);
    return e as TrainError;
  }
  throw new Error('expected E_RUN_LOCKED');
};
/** The pid of a process that has exited. */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

describe('run lock', () => {
  it('refuses a second writer naming the holder, and frees the folder on release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-lock-'));
    const lock = acquireRunLock(dir);
    const holder = JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(Number.isNaN(Date.parse(holder.startedAt as string))).toBe(false);
    const err = lockError(() => acquireRunLock(dir));
    expect(err.code).toBe('E_RUN_LOCKED');
    expect(err.context).toMatchObject({ lock: join(dir, RUN_LOCK_FILE), pid: process.pid });
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.hint).toMatch(/--out/);
    lock.release();
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
    acquireRunLock(dir).release();
  });

  it('takes over the lock of a dead process on this host with a warning, not one of another host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-lock-'));
    const pid = deadPid();
    expect(Number.isInteger(pid)).toBe(true);
    const stale = { pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify(stale));
    const lock = acquireRunLock(dir);
    expect(lock.warning?.code).toBe('W_STALE_RUN_LOCK');
    expect(lock.warning?.message).toContain(`pid ${pid}`);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();

    writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ ...stale, hostname: `not-${hostname()}` }));
    expect(lockError(() => acquireRunLock(dir)).code).toBe('E_RUN_LOCKED');
    // Releasing a lock someone else holds now leaves their file alone.
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(true);
  });

  it('the trainer refuses a locked run folder before writing anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-lock-'));
    const lock = acquireRunLock(dir);
    try {
      const options = { runDir: dir, stages: [] } as unknown as TrainerOptions;
      const run = runTraining({ options, parts: {} as never, data: {} as never, emit: () => undefined });
      await expect(run).rejects.toMatchObject({ code: 'E_RUN_LOCKED' });
      expect(existsSync(join(dir, 'events.jsonl'))).toBe(false);
    } finally {
      lock.release();
    }
  });
});
