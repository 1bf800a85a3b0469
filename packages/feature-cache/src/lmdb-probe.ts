/**
 * probeLmdb: opens a cache read-only in a child process and walks every key of every database
 * (and the small header values), so damage the meta-page check cannot see (a flipped byte in a
 * branch or leaf page) kills the child, not us: LMDB follows page numbers without checking them,
 * and a bad one ends the reading process with SIGSEGV or SIGBUS. Tensor bytes are not read (a
 * flip there fails the entry's CRC and is a miss), so the walk costs the tree pages, not the data.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export type LmdbProbe = { readonly ok: true } | { readonly ok: false; readonly detail: string };

// Runs as `node --input-type=module -e PROBE -- <lmdb entry URL> <cache dir>`.
const PROBE = `
const [lmdbUrl, dir] = process.argv.slice(1);
const { open } = await import(lmdbUrl);
const root = open(dir, { readOnly: true, maxDbs: 4, noSubdir: false });
let n = 0;
for (const name of ['info', 'meta', 'data']) {
  const db = root.openDB(name, { encoding: 'binary' });
  if (name === 'data') for (const _ of db.getKeys()) n++;
  else for (const { value } of db.getRange()) n += value.length > 0 ? 1 : 0;
}
await root.close();
process.stdout.write(String(n));
`;

/** Probes the cache directory `dir` (see the module comment); `timeoutMs` bounds a huge or hung walk. */
export function probeLmdb(dir: string, timeoutMs = 120_000): Promise<LmdbProbe> {
  const lmdbUrl = pathToFileURL(createRequire(import.meta.url).resolve('lmdb')).href;
  const args = ['--input-type=module', '-e', PROBE, '--', lmdbUrl, dir];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve({ ok: true });
      const e = err as NodeJS.ErrnoException & { signal?: string | null; killed?: boolean };
      if (e.killed && e.signal === 'SIGTERM') return resolve({ ok: true }); // too big to walk in time: not damage
      const lastLine = lastErrorLine(stderr);
      resolve({
        ok: false,
        detail: e.signal ? `reading it crashed a probe process (${e.signal})` : `reading it failed: ${lastLine}`,
      });
    });
  });
}

/** The thrown message in a child's stderr (Node prints the source line and a caret first). */
function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  return lines.find((l) => /^(\w*Error|Error)\b.*:/.test(l)) ?? lines.filter(Boolean).at(-1) ?? 'unknown error';
}
