/**
 * Checkpoints as folders written atomically: everything goes into a hidden temp folder, is
 * fsynced, and the folder is renamed into place; `latest` is a pointer file replaced by rename.
 * So a kill -9 at any moment leaves either the previous checkpoint or the new one, never a half
 * one. `state.json` is written last inside the temp folder and marks a checkpoint as complete.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const STATE_FILE = 'state.json';
/** Prefix of a checkpoint moved aside while a new one of its name replaces it. */
const SWAP_PREFIX = '.swap-';

export class CheckpointStore {
  constructor(readonly root: string) {}

  /**
   * Writes checkpoint `name`: `fill(tmpDir)` writes the files, then `state` is written as
   * state.json and the folder is renamed to `<root>/<name>`; `latest` then points to it.
   */
  async write(
    name: string,
    fill: (dir: string) => Promise<void>,
    state: unknown,
    opts: { setLatest?: boolean } = {},
  ): Promise<string> {
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `.tmp-${name}-${process.pid}-${Date.now()}`);
    await mkdir(tmp, { recursive: true });
    try {
      await fill(tmp);
      await writeFileSynced(join(tmp, STATE_FILE), JSON.stringify(state, null, 2));
      await fsyncDir(tmp);
      const final = join(this.root, name);
      // Replacing an existing checkpoint of the same name: move the old one aside first, so there
      // is never a moment with neither on disk; recoverSwaps() puts it back after an exit between
      // the two renames.
      if (existsSync(final)) {
        const old = join(this.root, `${SWAP_PREFIX}${name}-${Date.now()}`);
        await rename(final, old);
        await rename(tmp, final);
        await rm(old, { recursive: true, force: true });
      } else {
        await rename(tmp, final);
      }
      await fsyncDir(this.root);
      if (opts.setLatest !== false) await this.setPointer('latest', name);
      return final;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Atomically points `pointer` (e.g. `latest`, `best`) at checkpoint `name`. */
  async setPointer(pointer: string, name: string): Promise<void> {
    const tmp = join(this.root, `.${pointer}.tmp-${process.pid}`);
    await writeFileSynced(tmp, name + '\n');
    await rename(tmp, join(this.root, pointer));
  }

  /** The folder a pointer names, if that checkpoint is complete. */
  async resolve(pointer = 'latest'): Promise<string | undefined> {
    const p = join(this.root, pointer);
    if (!existsSync(p)) return undefined;
    const name = (await readFile(p, 'utf8')).trim();
    const dir = join(this.root, name);
    return existsSync(join(dir, STATE_FILE)) ? dir : undefined;
  }

  async readState<T>(dir: string): Promise<T> {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as T;
  }

  /**
   * Replaces a complete checkpoint's state.json (written beside it, then renamed over it: a kill
   * leaves the old state or the new one). Its weights are not touched.
   */
  async rewriteState(dir: string, state: unknown): Promise<void> {
    const tmp = join(dir, `.${STATE_FILE}.tmp-${process.pid}`);
    await writeFileSynced(tmp, JSON.stringify(state, null, 2));
    await rename(tmp, join(dir, STATE_FILE));
    await fsyncDir(dir);
  }

  /**
   * Finishes replacements an exit interrupted: a checkpoint moved aside with no new one in its
   * place is moved back; one whose replacement is in place is deleted.
   */
  async recoverSwaps(): Promise<void> {
    if (!existsSync(this.root)) return;
    for (const d of (await readdir(this.root))
      .filter((n) => n.startsWith(SWAP_PREFIX))
      .sort()
      .reverse()) {
      const name = d.slice(SWAP_PREFIX.length).replace(/-\d+$/, '');
      const final = join(this.root, name);
      if (existsSync(final)) await rm(join(this.root, d), { recursive: true, force: true });
      else await rename(join(this.root, d), final);
    }
  }

  /** Complete checkpoints, oldest first (by name; names sort by step). */
  async list(): Promise<string[]> {
    if (!existsSync(this.root)) return [];
    const names = (await readdir(this.root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name);
    return names.filter((n) => existsSync(join(this.root, n, STATE_FILE))).sort();
  }

  /** Removes leftovers of interrupted writes and all but the newest `keep` checkpoints (pointed-to ones stay). */
  async prune(keep: number, pointers: readonly string[] = ['latest', 'best']): Promise<void> {
    if (!existsSync(this.root)) return;
    for (const d of await readdir(this.root))
      if (d.startsWith('.tmp-') || d.startsWith('.old-'))
        await rm(join(this.root, d), { recursive: true, force: true });
    const pinned = new Set<string>();
    for (const p of pointers) {
      const f = join(this.root, p);
      // A pointer is a file naming a checkpoint; a checkpoint folder of that name is pinned itself.
      if (existsSync(f)) pinned.add(statSync(f).isDirectory() ? p : (await readFile(f, 'utf8')).trim());
    }
    const all = await this.list();
    for (const n of all.slice(0, Math.max(0, all.length - keep))) {
      if (pinned.has(n)) continue;
      // Hide it first: a kill during the recursive delete must not leave a visible half checkpoint
      // (state.json present, weights gone); the hidden leftover is removed by the next prune.
      const old = join(this.root, `.old-${n}-${process.pid}-${Date.now()}`);
      await rename(join(this.root, n), old);
      await rm(old, { recursive: true, force: true });
    }
  }
}

async function writeFileSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the renames themselves durable; not supported everywhere, so best effort.
  try {
    const fh = await open(dir, 'r');
    await fh.sync().catch(() => undefined);
    await fh.close();
  } catch {
    /* ignore */
  }
}
